"""Escalation state in the database: start, fire the due step, stop, restart.

Keyword-only functions taking an ``AsyncSession``; they flush, the caller commits.
A step fires in one transaction: its notifications are queued (each under a unique
key per incident, round, step and person) and the timer moves on, or nothing
happens at all. So after any crash a step is fired exactly once: never skipped,
never twice. The next step is due ``wait_minutes`` after the previous one was due
(not after it fired), so a restart resumes on the original schedule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from garrison.audit.actor import Actor
from garrison.audit.service import AuditDraft, record_audit, record_audits
from garrison.auth.principal import RequestOrigin
from garrison.config import EventConfig
from garrison.errors import ConflictError
from garrison.escalation.models import EscalationRecord, EscalationStatus
from garrison.escalation.policy import choose_policy, freeze, incident_facts, thaw
from garrison.escalation.queries import find_escalation, get_escalation
from garrison.escalation.suppression import suppression_reason
from garrison.escalation.targets import TargetResolver
from garrison.i18n import gettext as _
from garrison.incidents.models import Incident
from garrison.incidents.timeline import TimelineKind, add_timeline_entry, timeline_entry
from garrison.incidents.vocabulary import IncidentStatus
from garrison.notify.recipients import recipient_for
from garrison.notify.service import (
    NewNotification,
    cancel_incident_notifications,
    queue_notification,
)
from garrison.notify.vocabulary import NotificationKind

ESCALATOR = Actor.system("escalation")


@dataclass(frozen=True, slots=True)
class Fired:
    """What firing the due step did."""

    level: int | None
    round: int | None
    people: tuple[str, ...] = ()
    unreached: tuple[str, ...] = ()
    finished: str | None = None  # the status the escalation ended in, if it ended


def snapshot(record: EscalationRecord) -> dict[str, Any]:
    return {
        "incident_id": record.incident_id,
        "policy_id": record.policy_id,
        "status": record.status,
        "generation": record.generation,
        "step_index": record.step_index,
        "pass_index": record.pass_index,
        "next_due_at": record.next_due_at,
        "stop_reason": record.stop_reason,
    }


async def start_escalation(
    session: AsyncSession,
    *,
    incident: Incident,
    config: EventConfig,
    now: datetime,
    default_language: str,
    unescalated: bool = False,
    audits: list[AuditDraft] | None = None,
) -> EscalationRecord:
    """Freeze the incident's policy and fire its first step now (once per incident).

    Starting and the first step are one change: one transaction, one audit entry.
    ``unescalated``: the caller has just read that the incident has no escalation.
    ``audits``: the audit entry is added there, for the caller to append with its other
    starts' (``ESCALATOR``, ``now``) in one go; its rows are flushed then.
    """
    if not unescalated:
        existing = await find_escalation(session, incident_id=incident.id)
        if existing is not None:
            return existing
    facts = incident_facts(
        config,
        services=list(incident.services),
        category=incident.category,
        severity=incident.severity,
    )
    policy = choose_policy(config, facts)
    reason = await suppression_reason(session, incident=incident)
    status = EscalationStatus.ACTIVE
    if policy is None:
        status = EscalationStatus.UNROUTED
    elif reason is not None:
        status = EscalationStatus.SUPPRESSED
    record = EscalationRecord(
        incident_id=incident.id,
        policy_id=policy.id if policy is not None else "",
        policy=freeze(policy) if policy is not None else {},
        status=status.value,
        generation=0,
        step_index=0,
        pass_index=0,
        next_due_at=now if status == EscalationStatus.ACTIVE else None,
        started_at=now,
        updated_at=now,
        stop_reason=reason,
    )
    started = timeline_entry(
        incident_id=incident.id,
        kind=TimelineKind.ESCALATION,
        at=now,
        actor=ESCALATOR,
        data={
            "event": "started" if status == EscalationStatus.ACTIVE else status.value,
            "level": 0,
            "targets": [],
            "policy": record.policy_id or None,
            "reason": reason,
        },
    )
    # The entry is written with the first step's rows, before the step's entry; the record
    # only once its first step is fired (an INSERT, not an INSERT and an UPDATE): firing
    # reads no escalation and needs no id.
    session.add(started)
    first: Fired | None = None
    if status == EscalationStatus.ACTIVE:
        first = await fire_due_step(
            session,
            record=record,
            incident=incident,
            config=config,
            now=now,
            default_language=default_language,
            audited=False,
            unsuppressed=True,
            starting=True,
        )
    session.add(record)
    draft = AuditDraft(
        action="escalation.started",
        target_type="incident",
        target_id=str(incident.id),
        after={
            **snapshot(record),
            "policy": record.policy,
            "first_step_people": list(first.people) if first is not None else [],
        },
    )
    if audits is not None:
        audits.append(draft)
    else:
        await record_audits(session, actor=ESCALATOR, at=now, drafts=[draft])
    return record


async def fire_due_step(
    session: AsyncSession,
    *,
    record: EscalationRecord,
    incident: Incident,
    config: EventConfig,
    now: datetime,
    default_language: str,
    audited: bool = True,
    unsuppressed: bool = False,
    starting: bool = False,
) -> Fired:
    """Fire the step that is due (or end the escalation); flushes (when ``audited``), the
    caller commits.

    ``audited`` False: the caller records the audit entry of a larger change (the start).
    ``unsuppressed``: the caller has just found no reason to suppress it (the start).
    ``starting``: the record is new (the start), so none of its pages' keys was queued.
    """
    if incident.status != IncidentStatus.TRIGGERED.value:
        await _finish(session, record, EscalationStatus.STOPPED, reason=incident.status, now=now)
        return Fired(level=None, round=None, finished=EscalationStatus.STOPPED.value)
    reason = None if unsuppressed else await suppression_reason(session, incident=incident)
    if reason is not None:
        await _finish(session, record, EscalationStatus.SUPPRESSED, reason=reason, now=now)
        return Fired(level=None, round=None, finished=EscalationStatus.SUPPRESSED.value)
    policy = thaw(record.policy)
    if record.step_index >= len(policy.steps):
        if record.pass_index + 1 >= policy.repeat:
            await _finish(session, record, EscalationStatus.EXHAUSTED, reason=None, now=now)
            return Fired(level=None, round=None, finished=EscalationStatus.EXHAUSTED.value)
        record.pass_index += 1
        record.step_index = 0
    step = policy.steps[record.step_index]
    due = record.next_due_at or now
    resolver = TargetResolver(session, config=config, incident=incident, at=now)
    reached = await resolver.step(step)
    level, round_ = record.step_index + 1, record.pass_index + 1
    names = await queue_step_notifications(
        session,
        record,
        incident,
        config,
        reached.people,
        now,
        default_language,
        keys_are_new=starting,
    )
    before = snapshot(record)
    record.step_index += 1
    record.last_fired_at = now
    record.updated_at = now
    # Nobody reached: waiting would only delay the next level.
    record.next_due_at = due + timedelta(minutes=step.wait_minutes) if names else due
    step_entry = timeline_entry(
        incident_id=incident.id,
        kind=TimelineKind.ESCALATION,
        at=now,
        actor=ESCALATOR,
        data={
            "event": "step",
            "level": level,
            "round": round_,
            "targets": names,
            "people": reached.people,
            "unreached": reached.unreached,
            "withheld": reached.withheld,
            "policy": record.policy_id,
            "due_at": due.isoformat(),
        },
    )
    session.add(step_entry)
    # The record's change and the entry are flushed with the audit entry: this one's, or
    # the start's (``audited`` False).
    if audited:
        await record_audit(
            session,
            actor=ESCALATOR,
            action="escalation.step_fired",
            target_type="incident",
            target_id=str(incident.id),
            at=now,
            before=before,
            after={**snapshot(record), "people": reached.people},
        )
    return Fired(
        level=level,
        round=round_,
        people=tuple(reached.people),
        unreached=tuple(reached.unreached),
    )


async def queue_step_notifications(
    session: AsyncSession,
    record: EscalationRecord,
    incident: Incident,
    config: EventConfig,
    people: list[str],
    now: datetime,
    default_language: str,
    *,
    key_suffix: str = "",
    keys_are_new: bool = False,
) -> list[str]:
    """Queue the page of the step ``record`` points at to each person; their names.

    The key names incident, generation, round, step and person (and ``key_suffix`` for a
    deliberate second page of the same step): a key queued before is not queued again.
    ``keys_are_new``: the escalation starts now, no key of it can exist (none is read).
    """
    payload = {
        "incident_id": incident.id,
        "title": incident.title,
        "severity": incident.severity,
        "category": incident.category,
        "services": list(incident.services),
        "is_drill": incident.is_drill,
        "level": record.step_index + 1,
        "round": record.pass_index + 1,
        "policy": record.policy_id,
        "timezone": config.event.timezone,
    }
    names = []
    for person_id in people:
        recipient = await recipient_for(
            session, config=config, person_id=person_id, default_language=default_language
        )
        if recipient is None:
            continue
        key = (
            f"escalation:{incident.id}:{record.generation}:{record.pass_index}:"
            f"{record.step_index}:{person_id}{key_suffix}"
        )
        await queue_notification(
            session,
            new=NewNotification(
                key=key,
                kind=NotificationKind.INCIDENT_ESCALATION,
                recipient=recipient,
                payload=payload,
                incident_id=incident.id,
                acknowledge_link=True,
            ),
            now=now,
            link_hours=config.notifications.acknowledge_link_hours,
            key_is_new=keys_are_new,
        )
        names.append(recipient.name)
    return names


async def _finish(
    session: AsyncSession,
    record: EscalationRecord,
    status: EscalationStatus,
    *,
    reason: str | None,
    now: datetime,
    actor: Actor = ESCALATOR,
    origin: RequestOrigin | None = None,
    note: str | None = None,
) -> None:
    before = snapshot(record)
    record.status = status.value
    record.stop_reason = reason
    record.next_due_at = None
    record.stopped_at = now
    record.updated_at = now
    await session.flush()
    if status != EscalationStatus.EXHAUSTED:
        await cancel_incident_notifications(session, incident_id=record.incident_id, now=now)
    await add_timeline_entry(
        session,
        incident_id=record.incident_id,
        kind=TimelineKind.ESCALATION,
        at=now,
        actor=actor,
        text=note,
        data={"event": status.value, "level": record.step_index, "targets": [], "reason": reason},
    )
    await record_audit(
        session,
        actor=actor,
        action=f"escalation.{status.value}",
        target_type="incident",
        target_id=str(record.incident_id),
        at=now,
        before=before,
        after={**snapshot(record), "note": note},
        origin=origin,
    )


async def stop_escalation(
    session: AsyncSession,
    *,
    record: EscalationRecord,
    reason: str,
    now: datetime,
    actor: Actor = ESCALATOR,
    origin: RequestOrigin | None = None,
    note: str | None = None,
) -> bool:
    """Stop an active escalation; False when it was not active (nothing changes)."""
    if record.status != EscalationStatus.ACTIVE.value:
        return False
    await _finish(
        session,
        record,
        EscalationStatus.STOPPED,
        reason=reason,
        now=now,
        actor=actor,
        origin=origin,
        note=note,
    )
    return True


async def stop_by_hand(
    session: AsyncSession,
    *,
    incident_id: int,
    note: str,
    actor: Actor,
    now: datetime,
    origin: RequestOrigin | None = None,
) -> EscalationRecord:
    """Stop paging without acknowledging; ``note`` says why (timeline and audit)."""
    record = await get_escalation(session, incident_id=incident_id)
    if not await stop_escalation(
        session, record=record, reason="manual", now=now, actor=actor, origin=origin, note=note
    ):
        raise ConflictError(_("The escalation of this incident is not running."))
    return record


async def restart_escalation(
    session: AsyncSession, *, record: EscalationRecord, incident: Incident, now: datetime
) -> bool:
    """A reopened incident escalates again from the first step of its frozen policy."""
    if record.status in {EscalationStatus.ACTIVE.value, EscalationStatus.UNROUTED.value}:
        return False
    if incident.status != IncidentStatus.TRIGGERED.value or not record.policy:
        return False
    before = snapshot(record)
    record.generation += 1
    record.status = EscalationStatus.ACTIVE.value
    record.step_index = record.pass_index = 0
    record.next_due_at = now
    record.stopped_at = record.stop_reason = None
    record.updated_at = now
    await session.flush()
    await add_timeline_entry(
        session,
        incident_id=incident.id,
        kind=TimelineKind.ESCALATION,
        at=now,
        actor=ESCALATOR,
        data={"event": "restarted", "level": 0, "targets": [], "policy": record.policy_id},
    )
    await record_audit(
        session,
        actor=ESCALATOR,
        action="escalation.restarted",
        target_type="incident",
        target_id=str(incident.id),
        at=now,
        before=before,
        after=snapshot(record),
    )
    return True
