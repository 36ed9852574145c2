"""Directives: issuing, acknowledging, completing, cancelling, and who may see and answer them.

Keyword-only functions taking an ``AsyncSession``; they flush, the caller commits.
Each change is audited and, for a directive on an incident, put on its timeline;
the receiver is told by a notification queued in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from garrison.audit.actor import Actor
from garrison.audit.service import record_audit
from garrison.auth.permissions import Role
from garrison.auth.principal import Principal, RequestOrigin
from garrison.config import EventConfig, Person
from garrison.directives.events import DirectiveIssued
from garrison.directives.models import MAX_TEXT_LENGTH, Directive
from garrison.duty.oncall import who_is_on_duty
from garrison.duty.plan import DutyPlan
from garrison.errors import ConflictError, NotFoundError, PermissionDenied, ValidationFailed
from garrison.i18n import gettext as _
from garrison.incidents.outbox import queue_event
from garrison.incidents.timeline import TimelineKind, add_timeline_entry
from garrison.notify.recipients import find_person, person_of_username, recipient_for
from garrison.notify.service import NewNotification, queue_notification
from garrison.notify.vocabulary import NotificationKind

MAX_DEADLINE = timedelta(days=366)
SUMMARY_LENGTH = 200


class DirectiveStatus(StrEnum):
    ISSUED = "issued"
    ACKNOWLEDGED = "acknowledged"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


OPEN_STATUSES = frozenset({DirectiveStatus.ISSUED.value, DirectiveStatus.ACKNOWLEDGED.value})


class ReceiverKind(StrEnum):
    PERSON = "person"
    POST = "post"
    UNIT = "unit"


@dataclass(frozen=True, slots=True)
class NewDirective:
    text: str
    receiver_kind: ReceiverKind
    receiver_id: str
    deadline: datetime
    incident_id: int | None = None


def snapshot(directive: Directive) -> dict[str, Any]:
    return {
        "incident_id": directive.incident_id,
        "text": directive.text,
        "to": f"{directive.target_kind}:{directive.target_id}",
        "receiver_person_id": directive.receiver_person_id,
        "deadline": directive.deadline,
        "status": directive.status,
        "overdue_stage": directive.overdue_stage,
        "completion_note": directive.completion_note,
    }


def receiver_label(config: EventConfig, directive: Directive) -> str:
    """The receiver as people read it: a person's, post's or unit's name."""
    kind, target = directive.target_kind, directive.target_id
    if kind == ReceiverKind.PERSON.value:
        person = find_person(config, target)
        return person.name if person is not None else target
    items = (
        config.organisation.posts if kind == ReceiverKind.POST.value else config.organisation.units
    )
    return next((item.name for item in items if item.id == target), target)


def current_receiver(
    config: EventConfig, plan: DutyPlan, kind: str, target: str, at: datetime
) -> str | None:
    """The person who answers for the receiver now."""
    if kind == ReceiverKind.PERSON.value:
        return target
    if kind == ReceiverKind.POST.value:
        on_duty = who_is_on_duty(plan, target, at)
        if on_duty is not None:
            return on_duty.person
        # Nobody holds the post: its unit's leader hears of it.
        unit = next((p.unit for p in config.organisation.posts if p.id == target), None)
        target = unit or ""
    return next((u.leader for u in config.organisation.units if u.id == target), None)


def _check_receiver(config: EventConfig, kind: ReceiverKind, target: str) -> None:
    organisation = config.organisation
    known = {
        ReceiverKind.PERSON: {person.id for person in organisation.people},
        ReceiverKind.POST: {post.id for post in organisation.posts},
        ReceiverKind.UNIT: {unit.id for unit in organisation.units},
    }[kind]
    if target not in known:
        raise ValidationFailed(
            _("to.id: no %(kind)s has the id %(id)s.") % {"kind": kind.value, "id": target}
        )


async def issue_directive(
    session: AsyncSession,
    *,
    new: NewDirective,
    issuer: Principal,
    config: EventConfig,
    plan: DutyPlan,
    now: datetime,
    origin: RequestOrigin | None = None,
) -> Directive:
    text = new.text.strip()
    if not text or len(text) > MAX_TEXT_LENGTH:
        raise ValidationFailed(
            _("text: say what is to be done, in at most %(max)d characters.")
            % {"max": MAX_TEXT_LENGTH}
        )
    if not now < new.deadline <= now + MAX_DEADLINE:
        raise ValidationFailed(_("deadline: must be in the future, at most a year ahead."))
    _check_receiver(config, new.receiver_kind, new.receiver_id)
    issuer_person = person_of_username(config, issuer.username)
    directive = Directive(
        incident_id=new.incident_id,
        text=text,
        target_kind=new.receiver_kind.value,
        target_id=new.receiver_id,
        receiver_person_id=current_receiver(
            config, plan, new.receiver_kind.value, new.receiver_id, now
        ),
        issuer_user_id=issuer.user_id,
        issuer_username=issuer.username,
        issuer_person_id=issuer_person.id if issuer_person is not None else None,
        deadline=new.deadline,
        status=DirectiveStatus.ISSUED.value,
        overdue_stage=0,
        created_at=now,
        updated_at=now,
    )
    session.add(directive)
    await session.flush()
    actor = Actor.from_principal(issuer)
    await record_change(
        session, directive, "issued", actor=actor, now=now, origin=origin, before=None
    )
    queue_event(
        session,
        DirectiveIssued(
            occurred_at=now,
            directive_id=directive.id,
            deadline=directive.deadline,
            incident_id=directive.incident_id,
        ),
    )
    if directive.receiver_person_id is not None:
        await notify_person(
            session,
            directive=directive,
            config=config,
            person_id=directive.receiver_person_id,
            kind=NotificationKind.DIRECTIVE_ISSUED,
            now=now,
        )
    return directive


async def record_change(
    session: AsyncSession,
    directive: Directive,
    event: str,
    *,
    actor: Actor,
    now: datetime,
    origin: RequestOrigin | None,
    before: dict[str, Any] | None,
    note: str | None = None,
) -> None:
    if directive.incident_id is not None:
        await add_timeline_entry(
            session,
            incident_id=directive.incident_id,
            kind=TimelineKind.DIRECTIVE,
            at=now,
            actor=actor,
            text=note,
            data={
                "event": event,
                "directive_id": directive.id,
                "summary": directive.text[:SUMMARY_LENGTH],
                "deadline": directive.deadline.isoformat(),
                "to": f"{directive.target_kind}:{directive.target_id}",
                "status": directive.status,
            },
        )
    await record_audit(
        session,
        actor=actor,
        action=f"directive.{event}",
        target_type="directive",
        target_id=str(directive.id),
        at=now,
        before=before,
        after=snapshot(directive),
        origin=origin,
    )


async def notify_person(
    session: AsyncSession,
    *,
    directive: Directive,
    config: EventConfig,
    person_id: str,
    kind: NotificationKind,
    now: datetime,
    default_language: str = "en",
) -> None:
    recipient = await recipient_for(
        session, config=config, person_id=person_id, default_language=default_language
    )
    if recipient is None:
        return
    payload = {
        "directive_id": directive.id,
        "text": directive.text,
        "deadline": directive.deadline.isoformat(),
        "issuer": directive.issuer_username,
        "receiver": receiver_label(config, directive),
        "timezone": config.event.timezone,
    }
    await queue_notification(
        session,
        new=NewNotification(
            key=f"directive:{directive.id}:{kind.value}:{person_id}",
            kind=kind,
            recipient=recipient,
            payload=payload,
            incident_id=directive.incident_id,
            directive_id=directive.id,
        ),
        now=now,
        link_hours=config.notifications.acknowledge_link_hours,
    )


async def get_directive(session: AsyncSession, *, directive_id: int) -> Directive:
    directive = await session.get(Directive, directive_id)
    if directive is None:
        raise NotFoundError(_("There is no directive %(id)d.") % {"id": directive_id})
    return directive


def is_receiver(
    directive: Directive,
    *,
    person: Person | None,
    config: EventConfig,
    plan: DutyPlan,
    at: datetime,
) -> bool:
    """Whether ``person`` answers for the directive: its person, who holds its post (then or
    now), a member of its unit."""
    if person is None:
        return False
    if directive.receiver_person_id == person.id:
        return True
    kind, target = directive.target_kind, directive.target_id
    if kind == ReceiverKind.POST.value:
        on_duty = who_is_on_duty(plan, target, at)
        return on_duty is not None and on_duty.person == person.id
    if kind == ReceiverKind.UNIT.value:
        return person.unit == target
    return False


def _require_open(directive: Directive) -> None:
    if directive.status not in OPEN_STATUSES:
        raise ConflictError(
            _("Directive %(id)d is %(status)s already.")
            % {"id": directive.id, "status": directive.status}
        )


def _require_receiver(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(_("Only the receiver of a directive may answer it."))


async def acknowledge_directive(
    session: AsyncSession,
    *,
    directive: Directive,
    receiver: bool,
    actor: Actor,
    now: datetime,
    origin: RequestOrigin | None = None,
) -> Directive:
    _require_receiver(receiver)
    _require_open(directive)
    if directive.status == DirectiveStatus.ACKNOWLEDGED.value:
        return directive
    before = snapshot(directive)
    directive.status = DirectiveStatus.ACKNOWLEDGED.value
    directive.acknowledged_at, directive.acknowledged_by = now, actor.name
    directive.updated_at = now
    await session.flush()
    await record_change(
        session, directive, "acknowledged", actor=actor, now=now, origin=origin, before=before
    )
    return directive


async def complete_directive(
    session: AsyncSession,
    *,
    directive: Directive,
    receiver: bool,
    note: str,
    actor: Actor,
    now: datetime,
    origin: RequestOrigin | None = None,
) -> Directive:
    _require_receiver(receiver)
    _require_open(directive)
    note = note.strip()
    if not note or len(note) > MAX_TEXT_LENGTH:
        raise ValidationFailed(
            _("note: say what was done, in at most %(max)d characters.") % {"max": MAX_TEXT_LENGTH}
        )
    before = snapshot(directive)
    if directive.acknowledged_at is None:
        directive.acknowledged_at, directive.acknowledged_by = now, actor.name
    directive.status = DirectiveStatus.COMPLETED.value
    directive.completed_at, directive.completed_by = now, actor.name
    directive.completion_note = note
    directive.updated_at = now
    await session.flush()
    await record_change(
        session,
        directive,
        "completed",
        actor=actor,
        now=now,
        origin=origin,
        before=before,
        note=note,
    )
    return directive


async def cancel_directive(
    session: AsyncSession,
    *,
    directive: Directive,
    principal: Principal,
    now: datetime,
    origin: RequestOrigin | None = None,
) -> Directive:
    if directive.issuer_user_id != principal.user_id and not sees_every_directive(principal):
        raise PermissionDenied(_("Only the issuer of a directive, or a leader, may cancel it."))
    _require_open(directive)
    before = snapshot(directive)
    directive.status = DirectiveStatus.CANCELLED.value
    directive.cancelled_at, directive.cancelled_by = now, principal.username
    directive.updated_at = now
    await session.flush()
    actor = Actor.from_principal(principal)
    await record_change(
        session, directive, "cancelled", actor=actor, now=now, origin=origin, before=before
    )
    return directive


def sees_every_directive(principal: Principal) -> bool:
    """Leaders follow every directive; others see those they issued or must answer."""
    return principal.role in {Role.ADMIN, Role.LEADER}
