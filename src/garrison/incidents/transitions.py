"""The incident state machine: who moved it where, and when.

    triggered → acknowledged → mitigated → resolved → closed
    (steps may be skipped forward; reopening goes from resolved or closed back to
    triggered or acknowledged)

Closing a SEV1 or SEV2 incident needs a resolution summary and the root cause.
The first acknowledgement and mitigation are kept for the timings; resolving and
closing are undone by reopening.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from garrison.audit.actor import Actor
from garrison.audit.service import record_audit
from garrison.auth.principal import RequestOrigin
from garrison.errors import ConflictError, ValidationFailed
from garrison.i18n import gettext as _
from garrison.incidents.events import IncidentAcknowledged, IncidentStateChanged
from garrison.incidents.models import Incident
from garrison.incidents.outbox import queue_event
from garrison.incidents.service import flush_incident, incident_snapshot
from garrison.incidents.signals import clip
from garrison.incidents.timeline import TimelineKind, add_timeline_entry
from garrison.incidents.vocabulary import STATUS_LABELS, IncidentStatus, Severity

S = IncidentStatus
ALLOWED: dict[IncidentStatus, frozenset[IncidentStatus]] = {
    S.TRIGGERED: frozenset({S.ACKNOWLEDGED, S.MITIGATED, S.RESOLVED}),
    S.ACKNOWLEDGED: frozenset({S.MITIGATED, S.RESOLVED}),
    S.MITIGATED: frozenset({S.RESOLVED}),
    S.RESOLVED: frozenset({S.CLOSED, S.TRIGGERED, S.ACKNOWLEDGED}),
    S.CLOSED: frozenset({S.TRIGGERED, S.ACKNOWLEDGED}),
}
REOPEN_FROM = frozenset({S.RESOLVED, S.CLOSED})
REOPEN_TO = frozenset({S.TRIGGERED, S.ACKNOWLEDGED})
NEEDS_ROOT_CAUSE = frozenset({Severity.SEV1, Severity.SEV2})
MAX_TEXT = 20_000
_ACTIONS = {
    S.ACKNOWLEDGED: "incident.acknowledged",
    S.MITIGATED: "incident.mitigated",
    S.RESOLVED: "incident.resolved",
    S.CLOSED: "incident.closed",
}


def _blank(value: str | None) -> bool:
    return value is None or not value.strip()


async def change_status(
    session: AsyncSession,
    *,
    incident: Incident,
    target: IncidentStatus,
    actor: Actor,
    now: datetime,
    note: str | None = None,
    resolution_summary: str | None = None,
    root_cause: str | None = None,
    origin: RequestOrigin | None = None,
) -> Incident:
    """Move ``incident`` to ``target``; ConflictError when the state machine forbids it."""
    previous = IncidentStatus(incident.status)
    if target not in ALLOWED[previous]:
        raise ConflictError(
            _("An incident cannot go from %(previous)s to %(target)s.")
            % {"previous": STATUS_LABELS[previous], "target": STATUS_LABELS[target]}
        )
    reopening = previous in REOPEN_FROM and target in REOPEN_TO
    if reopening and incident.merged_into_id is not None:
        raise ConflictError(
            _("This incident was merged into incident %(id)d; reopen that one.")
            % {"id": incident.merged_into_id}
        )
    before = incident_snapshot(incident)
    if not _blank(resolution_summary):
        incident.resolution_summary = clip((resolution_summary or "").strip(), MAX_TEXT)
    if not _blank(root_cause):
        incident.root_cause = clip((root_cause or "").strip(), MAX_TEXT)
    if target == S.CLOSED:
        _check_closable(incident)
    _stamp(incident, previous=previous, target=target, actor=actor, now=now)
    incident.status = target.value
    incident.updated_at = now
    await flush_incident(session)
    await add_timeline_entry(
        session,
        incident_id=incident.id,
        kind=TimelineKind.STATE_CHANGE,
        at=now,
        actor=actor,
        text=note.strip() if note and note.strip() else None,
        data={"previous": previous.value, "current": target.value, "reopened": reopening},
    )
    await record_audit(
        session,
        actor=actor,
        action="incident.reopened" if reopening else _ACTIONS[target],
        target_type="incident",
        target_id=str(incident.id),
        at=now,
        before=before,
        after=incident_snapshot(incident),
        origin=origin,
    )
    _queue_events(session, incident, previous=previous, target=target, actor=actor, now=now)
    return incident


def _check_closable(incident: Incident) -> None:
    if Severity(incident.severity) not in NEEDS_ROOT_CAUSE:
        return
    missing = [
        name
        for name, value in (
            ("resolution_summary", incident.resolution_summary),
            ("root_cause", incident.root_cause),
        )
        if _blank(value)
    ]
    if missing:
        raise ValidationFailed(
            _(
                "Closing a SEV1 or SEV2 incident needs a resolution summary and the root "
                "cause: %(fields)s."
            )
            % {"fields": ", ".join(missing)}
        )


def _stamp(
    incident: Incident,
    *,
    previous: IncidentStatus,
    target: IncidentStatus,
    actor: Actor,
    now: datetime,
) -> None:
    name = clip(actor.name, 200)
    if previous in REOPEN_FROM and target in REOPEN_TO:
        incident.resolved_at = incident.resolved_by = None
        incident.closed_at = incident.closed_by = None
        incident.reopen_count += 1
    if target == S.ACKNOWLEDGED and incident.acknowledged_at is None:
        incident.acknowledged_at, incident.acknowledged_by = now, name
    elif target == S.MITIGATED and incident.mitigated_at is None:
        incident.mitigated_at, incident.mitigated_by = now, name
    elif target == S.RESOLVED:
        incident.resolved_at, incident.resolved_by = now, name
    elif target == S.CLOSED:
        incident.closed_at, incident.closed_by = now, name


def _queue_events(
    session: AsyncSession,
    incident: Incident,
    *,
    previous: IncidentStatus,
    target: IncidentStatus,
    actor: Actor,
    now: datetime,
) -> None:
    queue_event(
        session,
        IncidentStateChanged(
            occurred_at=now,
            incident_id=incident.id,
            previous=previous.value,
            current=target.value,
            severity=incident.severity,
            is_drill=incident.is_drill,
            actor_kind=actor.kind,
            actor_name=actor.name,
        ),
    )
    if target == S.ACKNOWLEDGED:
        queue_event(
            session,
            IncidentAcknowledged(
                occurred_at=now,
                incident_id=incident.id,
                severity=incident.severity,
                is_drill=incident.is_drill,
                actor_kind=actor.kind,
                actor_id=actor.id,
                actor_name=actor.name,
                seconds_to_acknowledge=(now - incident.opened_at).total_seconds(),
            ),
        )


async def acknowledge_incident(
    session: AsyncSession,
    *,
    incident: Incident,
    actor: Actor,
    now: datetime,
    note: str | None = None,
    origin: RequestOrigin | None = None,
) -> Incident:
    return await change_status(
        session,
        incident=incident,
        target=S.ACKNOWLEDGED,
        actor=actor,
        now=now,
        note=note,
        origin=origin,
    )


async def mitigate_incident(
    session: AsyncSession,
    *,
    incident: Incident,
    actor: Actor,
    now: datetime,
    note: str | None = None,
    origin: RequestOrigin | None = None,
) -> Incident:
    return await change_status(
        session,
        incident=incident,
        target=S.MITIGATED,
        actor=actor,
        now=now,
        note=note,
        origin=origin,
    )


async def resolve_incident(
    session: AsyncSession,
    *,
    incident: Incident,
    actor: Actor,
    now: datetime,
    note: str | None = None,
    resolution_summary: str | None = None,
    root_cause: str | None = None,
    origin: RequestOrigin | None = None,
) -> Incident:
    return await change_status(
        session,
        incident=incident,
        target=S.RESOLVED,
        actor=actor,
        now=now,
        note=note,
        resolution_summary=resolution_summary,
        root_cause=root_cause,
        origin=origin,
    )


async def close_incident(
    session: AsyncSession,
    *,
    incident: Incident,
    actor: Actor,
    now: datetime,
    resolution_summary: str | None = None,
    root_cause: str | None = None,
    note: str | None = None,
    origin: RequestOrigin | None = None,
) -> Incident:
    return await change_status(
        session,
        incident=incident,
        target=S.CLOSED,
        actor=actor,
        now=now,
        note=note,
        resolution_summary=resolution_summary,
        root_cause=root_cause,
        origin=origin,
    )


async def reopen_incident(
    session: AsyncSession,
    *,
    incident: Incident,
    to: IncidentStatus,
    reason: str,
    actor: Actor,
    now: datetime,
    origin: RequestOrigin | None = None,
) -> Incident:
    if to not in REOPEN_TO:
        raise ValidationFailed(_("An incident is reopened as triggered or acknowledged."))
    if IncidentStatus(incident.status) not in REOPEN_FROM:
        raise ConflictError(_("Only a resolved or closed incident can be reopened."))
    if _blank(reason):
        raise ValidationFailed(_("Say why the incident is reopened (reason)."))
    return await change_status(
        session, incident=incident, target=to, actor=actor, now=now, note=reason, origin=origin
    )
