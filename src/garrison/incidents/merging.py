"""Merging two incidents, and linking alerts to an incident by hand.

A merged incident is closed with ``merged_into_id`` set; its alerts, grouping keys,
services, sites and need-to-know list move to the target, which keeps the worse
severity and the stricter classification. Drills and real incidents never mix.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.audit.actor import Actor
from garrison.audit.service import record_audit
from garrison.auth.principal import RequestOrigin
from garrison.errors import ConflictError, NotFoundError, ValidationFailed
from garrison.i18n import gettext as _
from garrison.incidents.access import Viewer, can_see
from garrison.incidents.changes import apply_severity
from garrison.incidents.events import IncidentStateChanged
from garrison.incidents.models import Alert, Incident, IncidentAccess, IncidentGroupKey
from garrison.incidents.outbox import queue_event
from garrison.incidents.service import (
    access_list,
    add_group_keys,
    flush_incident,
    get_incident,
    incident_snapshot,
    sorted_unique,
)
from garrison.incidents.timeline import TimelineKind, add_timeline_entry
from garrison.incidents.vocabulary import Classification, IncidentStatus, Severity

MAX_LINKED_ALERTS = 500


async def merge_incidents(
    session: AsyncSession,
    *,
    target: Incident,
    source: Incident,
    actor: Actor,
    now: datetime,
    origin: RequestOrigin | None = None,
) -> Incident:
    """Fold ``source`` into ``target``; returns the target."""
    if source.id == target.id:
        raise ValidationFailed(_("An incident cannot be merged into itself."))
    if source.merged_into_id is not None or target.merged_into_id is not None:
        raise ConflictError(_("An incident that was merged cannot be merged again."))
    if target.status == IncidentStatus.CLOSED.value:
        raise ConflictError(_("Merge into an incident that is not closed."))
    if source.is_drill != target.is_drill:
        raise ConflictError(_("A drill and a real incident cannot be merged."))
    source_before, target_before = incident_snapshot(source), incident_snapshot(target)
    await session.execute(
        update(Alert).where(Alert.incident_id == source.id).values(incident_id=target.id),
        execution_options={"synchronize_session": False},
    )
    keys = (
        await session.scalars(
            select(IncidentGroupKey.key).where(IncidentGroupKey.incident_id == source.id)
        )
    ).all()
    await add_group_keys(session, incident_id=target.id, keys=keys, now=now)
    await _merge_access(session, source=source, target=target)
    target.services = sorted_unique([*target.services, *source.services])
    target.sites = sorted_unique([*target.sites, *source.sites])
    if Classification(source.classification).rank > Classification(target.classification).rank:
        target.classification = source.classification
    target.updated_at = now
    await flush_incident(session)
    if Severity(source.severity).is_worse_than(Severity(target.severity)):
        await apply_severity(
            session, incident=target, severity=Severity(source.severity), actor=actor, now=now
        )
    previous_status = IncidentStatus(source.status)
    _close_as_merged(source, target=target, actor=actor, now=now)
    await flush_incident(session)
    for incident in (source, target):
        await add_timeline_entry(
            session,
            incident_id=incident.id,
            kind=TimelineKind.MERGE,
            at=now,
            actor=actor,
            data={"source": source.id, "target": target.id},
        )
    for incident, before, action in (
        (source, source_before, "incident.merged"),
        (target, target_before, "incident.merge_received"),
    ):
        await record_audit(
            session,
            actor=actor,
            action=action,
            target_type="incident",
            target_id=str(incident.id),
            at=now,
            before=before,
            after=incident_snapshot(incident),
            origin=origin,
        )
    if previous_status != IncidentStatus.CLOSED:
        queue_event(
            session,
            IncidentStateChanged(
                occurred_at=now,
                incident_id=source.id,
                previous=previous_status.value,
                current=IncidentStatus.CLOSED.value,
                severity=source.severity,
                is_drill=source.is_drill,
                actor_kind=actor.kind,
                actor_name=actor.name,
            ),
        )
    return target


def _close_as_merged(source: Incident, *, target: Incident, actor: Actor, now: datetime) -> None:
    note = _("Merged into incident %(id)d.") % {"id": target.id}
    source.merged_into_id = target.id
    source.status = IncidentStatus.CLOSED.value
    source.resolution_summary = source.resolution_summary or note
    source.root_cause = source.root_cause or note
    if source.resolved_at is None:
        source.resolved_at, source.resolved_by = now, actor.name[:200]
    source.closed_at, source.closed_by = now, actor.name[:200]
    source.updated_at = now


async def _merge_access(session: AsyncSession, *, source: Incident, target: Incident) -> None:
    have = await access_list(session, incident_id=target.id)
    add = await access_list(session, incident_id=source.id)
    for kind, refs, known in (
        ("user", add.users, set(have.users)),
        ("unit", add.units, set(have.units)),
    ):
        for ref in refs:
            if ref not in known:
                session.add(IncidentAccess(incident_id=target.id, kind=kind, ref=ref))
    await session.flush()


async def link_alerts(
    session: AsyncSession,
    *,
    incident: Incident,
    alert_ids: Sequence[int],
    viewer: Viewer,
    actor: Actor,
    now: datetime,
    origin: RequestOrigin | None = None,
) -> list[Alert]:
    """Move alerts to ``incident``; alerts of incidents hidden from ``viewer`` do not exist."""
    wanted = sorted(set(alert_ids))
    if not wanted or len(wanted) > MAX_LINKED_ALERTS:
        raise ValidationFailed(
            _("Give 1 to %(max)d alert ids (alert_ids).") % {"max": MAX_LINKED_ALERTS}
        )
    alerts = list((await session.scalars(select(Alert).where(Alert.id.in_(wanted)))).all())
    found = {alert.id for alert in alerts}
    for alert in alerts:
        if alert.incident_id is not None and alert.incident_id != incident.id:
            owner = await get_incident(session, incident_id=alert.incident_id)
            listed = await access_list(session, incident_id=owner.id)
            if not can_see(viewer, owner, users=listed.users, units=listed.units):
                found.discard(alert.id)
    missing = [alert_id for alert_id in wanted if alert_id not in found]
    if missing:
        raise NotFoundError(
            _("There are no alerts %(ids)s.") % {"ids": ", ".join(map(str, missing[:20]))}
        )
    if any(alert.is_drill != incident.is_drill for alert in alerts):
        raise ConflictError(_("Drill alerts and real incidents cannot be linked."))
    moved = [alert for alert in alerts if alert.incident_id != incident.id]
    for alert in moved:
        previous = alert.incident_id
        alert.incident_id = incident.id
        await session.flush()
        await add_group_keys(session, incident_id=incident.id, keys=alert.group_keys, now=now)
        await add_timeline_entry(
            session,
            incident_id=incident.id,
            kind=TimelineKind.ALERT,
            at=now,
            actor=actor,
            data={
                "alert_id": alert.id,
                "source": alert.source,
                "summary": alert.summary,
                "linked_from": previous,
            },
        )
    if moved:
        await record_audit(
            session,
            actor=actor,
            action="incident.alerts_linked",
            target_type="incident",
            target_id=str(incident.id),
            at=now,
            after={"alert_ids": [alert.id for alert in moved]},
            origin=origin,
        )
    return moved
