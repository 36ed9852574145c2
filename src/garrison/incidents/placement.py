"""Where a new alert goes: joining an incident, opening one, or the source's storm incident."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.audit.actor import Actor
from garrison.audit.service import record_audit
from garrison.config.incidents import IncidentsConfig
from garrison.i18n import gettext as _
from garrison.incidents.changes import apply_severity
from garrison.incidents.grouping import ServiceFacts, storm_key
from garrison.incidents.models import Alert, Incident, IncidentGroupKey
from garrison.incidents.service import (
    AccessList,
    NewIncident,
    add_group_keys,
    flush_incident,
    incident_snapshot,
    open_incident,
    sorted_unique,
)
from garrison.incidents.signals import IncomingSignal
from garrison.incidents.timeline import TimelineKind, add_timeline_entry
from garrison.incidents.vocabulary import IncidentStatus, Severity

FIRING = "firing"
RESOLVED = "resolved"
MAX_ADOPTED = 5000


def raises_severity(incident: Incident, alert: Alert) -> bool:
    """Whether :func:`raise_severity` would change the incident."""
    return (
        IncidentStatus(incident.status).is_open
        and alert.pages
        and Severity(alert.severity).is_worse_than(Severity(incident.severity))
    )


async def raise_severity(
    session: AsyncSession, *, incident: Incident, alert: Alert, actor: Actor, now: datetime
) -> None:
    """An open incident takes the severity of a worse paging alert (never lower)."""
    if raises_severity(incident, alert):
        before = incident_snapshot(incident)
        await apply_severity(
            session, incident=incident, severity=Severity(alert.severity), actor=actor, now=now
        )
        await record_audit(
            session,
            actor=actor,
            action="incident.severity_raised",
            target_type="incident",
            target_id=str(incident.id),
            at=now,
            before=before,
            after={**incident_snapshot(incident), "alert_id": alert.id},
        )


async def join_incident(
    session: AsyncSession,
    *,
    incident: Incident,
    alert: Alert,
    actor: Actor,
    source_name: str,
    now: datetime,
) -> None:
    """Link the alert; the incident gains its keys, service and site, and maybe its severity."""
    await link_alert(session, incident=incident, alert=alert, now=now)
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
            "source": source_name,
            "summary": alert.summary,
            "severity": alert.severity,
        },
    )
    await raise_severity(session, incident=incident, alert=alert, actor=actor, now=now)


async def link_alert(
    session: AsyncSession, *, incident: Incident, alert: Alert, now: datetime
) -> None:
    """The alert belongs to the incident, which gains its service and site (no keys, no entry).

    The alert itself is not flushed: a batch inserts its new alerts together.
    """
    alert.incident_id = incident.id
    services = sorted_unique([*incident.services, alert.service_id or ""])
    sites = sorted_unique([*incident.sites, alert.site_id or ""])
    if services != list(incident.services) or sites != list(incident.sites):
        incident.services, incident.sites = services, sites
        incident.updated_at = now
        await flush_incident(session)


async def open_for_alert(
    session: AsyncSession,
    *,
    alert: Alert,
    signal: IncomingSignal,
    facts: ServiceFacts | None,
    policy: IncidentsConfig,
    actor: Actor,
    now: datetime,
) -> Incident:
    """An incident for an alert that joins none: the service's unit is on its list."""
    classification = policy.classification
    security = signal.category.is_security
    units = [facts.unit_id] if facts else []
    if security:
        units.extend(classification.security_units)
    new = NewIncident(
        title=signal.summary,
        severity=Severity(alert.severity),
        category=signal.category,
        classification=classification.security if security else classification.default,
        is_drill=signal.is_drill,
        services=tuple(filter(None, [alert.service_id])),
        sites=tuple(filter(None, [alert.site_id])),
        access=AccessList(units=tuple(units)),
        group_keys=tuple(alert.group_keys),
    )
    return await open_incident(session, new=new, actor=actor, now=now)


async def open_storm(
    session: AsyncSession,
    *,
    signal: IncomingSignal,
    limit: int,
    policy: IncidentsConfig,
    actor: Actor,
    now: datetime,
) -> Incident:
    new = NewIncident(
        title=_("Alert storm from %(source)s") % {"source": signal.source_name},
        severity=policy.storm_severity,
        category=signal.category,
        classification=policy.classification.default,
        is_drill=signal.is_drill,
        is_storm=True,
        group_keys=(storm_key(signal.source),),
        description=_(
            "More than %(limit)d alerts a minute from %(source)s: new alerts are "
            "gathered in this incident instead of paging one by one."
        )
        % {"limit": limit, "source": signal.source_name},
    )
    return await open_incident(session, new=new, actor=actor, now=now)


async def adopt_waiting_alerts(
    session: AsyncSession,
    *,
    incident: Incident,
    now: datetime,
    keys: Collection[str] | None = None,
) -> int:
    """Firing alerts that waited for an incident to join (UNREACHABLE before its root).

    ``keys``: the incident's grouping keys, when the caller knows them (it just opened it).
    """
    if keys is None:
        keys = (
            await session.scalars(
                select(IncidentGroupKey.key).where(IncidentGroupKey.incident_id == incident.id)
            )
        ).all()
    wanted = set(keys)
    waiting = await session.scalars(
        select(Alert)
        .where(
            Alert.incident_id.is_(None),
            Alert.status == FIRING,
            Alert.is_drill.is_(incident.is_drill),
        )
        .order_by(Alert.id)
        .limit(MAX_ADOPTED)
    )
    adopted = 0
    for alert in waiting.all():
        if wanted & set(alert.group_keys):
            actor = Actor(kind="system", id=alert.source, name=alert.source)
            await join_incident(
                session,
                incident=incident,
                alert=alert,
                actor=actor,
                source_name=alert.source,
                now=now,
            )
            adopted += 1
    return adopted
