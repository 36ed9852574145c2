"""Edits to an incident: details, severity, classification, people, need-to-know, notes.

Each change that matters on its own (severity, assignee, commander, classification,
need-to-know) gets its own timeline entry; one audit entry holds before and after.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, Final

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.audit.actor import Actor
from garrison.audit.service import record_audit
from garrison.auth.models import User
from garrison.auth.permissions import Permission, Role, role_allows
from garrison.auth.principal import RequestOrigin
from garrison.errors import ValidationFailed
from garrison.event.models import UnitRecord
from garrison.i18n import gettext as _
from garrison.incidents.access import ACCESS_UNIT, ACCESS_USER
from garrison.incidents.events import IncidentAssigned, IncidentSeverityChanged
from garrison.incidents.models import TITLE_LENGTH, Incident, IncidentAccess, TimelineEntry
from garrison.incidents.outbox import queue_event
from garrison.incidents.service import (
    AccessList,
    access_list,
    drill_title,
    flush_incident,
    incident_snapshot,
    sorted_unique,
)
from garrison.incidents.signals import clip
from garrison.incidents.timeline import MAX_TEXT_LENGTH, TimelineKind, add_timeline_entry
from garrison.incidents.vocabulary import Category, Classification, Severity


class _Keep(Enum):
    KEEP = "keep"


KEEP: Final = _Keep.KEEP


@dataclass(frozen=True, slots=True)
class IncidentChanges:
    """What to change; ``KEEP`` leaves a field as it is (None clears commander or assignee)."""

    title: str | _Keep = KEEP
    severity: Severity | _Keep = KEEP
    category: Category | _Keep = KEEP
    classification: Classification | _Keep = KEEP
    commander: str | _Keep | None = KEEP
    assignee: str | _Keep | None = KEEP
    services: Sequence[str] | _Keep = KEEP
    sites: Sequence[str] | _Keep = KEEP
    access: AccessList | _Keep = KEEP
    reason: str | None = None


async def update_incident(
    session: AsyncSession,
    *,
    incident: Incident,
    changes: IncidentChanges,
    actor: Actor,
    now: datetime,
    origin: RequestOrigin | None = None,
) -> Incident:
    before = incident_snapshot(incident)
    before_access = await access_list(session, incident_id=incident.id)
    details: list[str] = []
    if not isinstance(changes.title, _Keep):
        title = drill_title(changes.title, is_drill=incident.is_drill)
        if not title.strip():
            raise ValidationFailed(_("The title must not be empty (title)."))
        if title != incident.title:
            incident.title = clip(title, TITLE_LENGTH)
            details.append("title")
    if not isinstance(changes.category, _Keep) and changes.category.value != incident.category:
        incident.category = changes.category.value
        details.append("category")
    for field in ("services", "sites"):
        value = getattr(changes, field)
        if not isinstance(value, _Keep) and sorted_unique(value) != list(getattr(incident, field)):
            setattr(incident, field, sorted_unique(value))
            details.append(field)
    if details:
        incident.updated_at = now
        await flush_incident(session)
        await _timeline(
            session, incident, TimelineKind.DETAILS, actor, now, changes.reason, fields=details
        )
    if not isinstance(changes.severity, _Keep):
        await apply_severity(
            session,
            incident=incident,
            severity=changes.severity,
            actor=actor,
            now=now,
            reason=changes.reason,
        )
    if not isinstance(changes.classification, _Keep):
        await _apply_classification(
            session, incident, changes.classification, actor, now, changes.reason
        )
    for role in ("commander", "assignee"):
        value = getattr(changes, role)
        if not isinstance(value, _Keep):
            await _apply_person(session, incident, role, value, actor, now)
    if not isinstance(changes.access, _Keep):
        await _apply_access(session, incident, changes.access, before_access, actor, now)
    after = incident_snapshot(incident)
    after_access = await access_list(session, incident_id=incident.id)
    if after != before or after_access != before_access:
        await record_audit(
            session,
            actor=actor,
            action="incident.updated",
            target_type="incident",
            target_id=str(incident.id),
            at=now,
            before={**before, "access": _access_document(before_access)},
            after={**after, "access": _access_document(after_access)},
            origin=origin,
        )
    return incident


def _access_document(access: AccessList) -> dict[str, Any]:
    return {"users": list(access.users), "units": list(access.units)}


async def _timeline(
    session: AsyncSession,
    incident: Incident,
    kind: TimelineKind,
    actor: Actor,
    now: datetime,
    reason: str | None,
    **data: Any,
) -> None:
    await add_timeline_entry(
        session,
        incident_id=incident.id,
        kind=kind,
        at=now,
        actor=actor,
        text=reason.strip() if reason and reason.strip() else None,
        data=data,
    )


async def apply_severity(
    session: AsyncSession,
    *,
    incident: Incident,
    severity: Severity,
    actor: Actor,
    now: datetime,
    reason: str | None = None,
) -> bool:
    """Set the severity (timeline entry and bus event); False when it was already that."""
    previous = incident.severity
    if severity.value == previous:
        return False
    incident.severity = severity.value
    incident.updated_at = now
    await flush_incident(session)
    await _timeline(
        session,
        incident,
        TimelineKind.SEVERITY,
        actor,
        now,
        reason,
        previous=previous,
        current=severity.value,
    )
    queue_event(
        session,
        IncidentSeverityChanged(
            occurred_at=now,
            incident_id=incident.id,
            previous=previous,
            current=severity.value,
            is_drill=incident.is_drill,
            actor_name=actor.name,
        ),
    )
    return True


async def _apply_classification(
    session: AsyncSession,
    incident: Incident,
    classification: Classification,
    actor: Actor,
    now: datetime,
    reason: str | None,
) -> None:
    previous = incident.classification
    if classification.value == previous:
        return
    incident.classification = classification.value
    incident.updated_at = now
    await flush_incident(session)
    await _timeline(
        session,
        incident,
        TimelineKind.CLASSIFICATION,
        actor,
        now,
        reason,
        previous=previous,
        current=classification.value,
    )


async def _responder(session: AsyncSession, username: str, field: str) -> User:
    user = await session.scalar(select(User).where(User.username == username))
    if user is None or user.disabled:
        raise ValidationFailed(
            _("%(field)s: there is no active user named %(username)s.")
            % {"field": field, "username": username[:64]}
        )
    if not role_allows(Role(user.role), Permission.INCIDENT_RESPOND):
        raise ValidationFailed(
            _("%(field)s: %(username)s may not respond to incidents.")
            % {"field": field, "username": user.username}
        )
    return user


async def _apply_person(
    session: AsyncSession,
    incident: Incident,
    role: str,
    username: str | None,
    actor: Actor,
    now: datetime,
) -> None:
    user = None if username is None else await _responder(session, username, role)
    column = f"{role}_id"
    new_id = None if user is None else user.id
    if getattr(incident, column) == new_id:
        return
    setattr(incident, column, new_id)
    incident.updated_at = now
    await flush_incident(session)
    kind = TimelineKind.COMMANDER if role == "commander" else TimelineKind.ASSIGNMENT
    shown = None if user is None else user.username
    await _timeline(session, incident, kind, actor, now, None, username=shown)
    queue_event(
        session,
        IncidentAssigned(
            occurred_at=now,
            incident_id=incident.id,
            role=role,
            username=shown,
            severity=incident.severity,
            is_drill=incident.is_drill,
            actor_name=actor.name,
        ),
    )


async def _apply_access(
    session: AsyncSession,
    incident: Incident,
    wanted: AccessList,
    current: AccessList,
    actor: Actor,
    now: datetime,
) -> None:
    users = tuple(sorted_unique(wanted.users))
    units = tuple(sorted_unique(wanted.units))
    if (users, units) == (current.users, current.units):
        return
    known_users = set(
        (await session.scalars(select(User.username).where(User.username.in_(users)))).all()
    )
    unknown = sorted(set(users) - known_users)
    if unknown:
        raise ValidationFailed(
            _("access.users: unknown users: %(names)s") % {"names": ", ".join(unknown)[:500]}
        )
    known_units = set(
        (
            await session.scalars(
                select(UnitRecord.id).where(
                    UnitRecord.id.in_(units), UnitRecord.retired_at.is_(None)
                )
            )
        ).all()
    )
    missing = sorted(set(units) - known_units)
    if missing:
        raise ValidationFailed(
            _("access.units: unknown units: %(names)s") % {"names": ", ".join(missing)[:500]}
        )
    await session.execute(delete(IncidentAccess).where(IncidentAccess.incident_id == incident.id))
    for kind, refs in ((ACCESS_USER, users), (ACCESS_UNIT, units)):
        for ref in refs:
            session.add(IncidentAccess(incident_id=incident.id, kind=kind, ref=ref))
    await session.flush()
    await _timeline(
        session,
        incident,
        TimelineKind.ACCESS,
        actor,
        now,
        None,
        users=list(users),
        units=list(units),
    )


async def add_note(
    session: AsyncSession,
    *,
    incident: Incident,
    text: str,
    actor: Actor,
    now: datetime,
    origin: RequestOrigin | None = None,
) -> TimelineEntry:
    text = text.strip()
    if not text:
        raise ValidationFailed(_("A note must not be empty (text)."))
    if len(text) > MAX_TEXT_LENGTH:
        raise ValidationFailed(
            _("A note has at most %(count)d characters (text).") % {"count": MAX_TEXT_LENGTH}
        )
    entry = await add_timeline_entry(
        session, incident_id=incident.id, kind=TimelineKind.NOTE, at=now, actor=actor, text=text
    )
    await record_audit(
        session,
        actor=actor,
        action="incident.note_added",
        target_type="incident",
        target_id=str(incident.id),
        at=now,
        after={"timeline_entry_id": entry.id, "text": text},
        origin=origin,
    )
    return entry
