"""Incidents over HTTP: list, declare, read, edit, notes, timeline, alerts, merge, statistics.

Every route that names an incident loads it through ``CurrentIncident`` (404 when it
does not exist or the caller may not see it). Each write is one transaction,
committed here; bus events go out after the commit.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from garrison.audit.actor import Actor
from garrison.incidents import changes, merging, service
from garrison.incidents.attachment_views import router as attachment_router
from garrison.incidents.dependencies import (
    CurrentIncident,
    CurrentViewer,
    IncidentManager,
    IncidentResponder,
)
from garrison.incidents.grouping import declared_keys
from garrison.incidents.integration_views import router as integration_router
from garrison.incidents.outbox import commit_and_publish
from garrison.incidents.policy import load_policy
from garrison.incidents.rendering import render_incident, render_incidents
from garrison.incidents.schemas import (
    AlertOut,
    IncidentCreateIn,
    IncidentOut,
    IncidentPage,
    IncidentUpdateIn,
    LinkAlertsIn,
    MergeIn,
    NoteIn,
    StatisticsOut,
    TimelineEntryOut,
    TimelinePage,
)
from garrison.incidents.statistics import incident_statistics
from garrison.incidents.timeline import list_timeline
from garrison.incidents.transition_views import router as transition_router
from garrison.incidents.vocabulary import Category, IncidentStatus, Severity
from garrison.web.dependencies import Context, DbSession, Origin

router = APIRouter(tags=["incidents"])


@router.get("/incidents", response_model=IncidentPage)
async def list_incidents(
    *,
    viewer: CurrentViewer,
    session: DbSession,
    status: Annotated[list[IncidentStatus] | None, Query(max_length=5)] = None,
    severity: Annotated[list[Severity] | None, Query(max_length=4)] = None,
    category: Category | None = None,
    drill: Annotated[bool | None, Query(description="true: drills only; false: real only")] = None,
    opened_after: datetime | None = None,
    opened_before: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_LIST_LIMIT)] = 100,
    before_id: Annotated[int | None, Query(ge=1)] = None,
) -> IncidentPage:
    filters = service.IncidentFilter(
        statuses=tuple(status or ()),
        severities=tuple(severity or ()),
        category=category,
        is_drill=drill,
        opened_after=opened_after,
        opened_before=opened_before,
    )
    found = await service.list_incidents(
        session, viewer=viewer, filters=filters, limit=limit, before_id=before_id
    )
    more = len(found) == limit
    return IncidentPage(
        incidents=await render_incidents(session, found),
        next_before_id=found[-1].id if more else None,
    )


@router.post("/incidents", response_model=IncidentOut, status_code=201)
async def declare_incident(
    *,
    body: IncidentCreateIn,
    principal: IncidentResponder,
    context: Context,
    session: DbSession,
    origin: Origin,
) -> IncidentOut:
    """Open an incident by hand (a phone call, a walk-in report)."""
    policy = await load_policy(session)
    default = policy.classification
    classification = body.classification or (
        default.security if body.category.is_security else default.default
    )
    access = body.access.to_access()
    if classification.needs_to_know and principal.username not in access.users:
        # Whoever declares a confidential incident keeps seeing it.
        access = service.AccessList(users=(*access.users, principal.username), units=access.units)
    incident = await service.open_incident(
        session,
        new=service.NewIncident(
            title=body.title,
            severity=body.severity,
            category=body.category,
            classification=classification,
            is_drill=body.is_drill,
            services=tuple(body.services),
            sites=tuple(body.sites),
            access=access,
            group_keys=declared_keys(services=body.services, sites=body.sites),
            description=body.description,
        ),
        actor=Actor.from_principal(principal),
        now=context.clock.now(),
        origin=origin,
    )
    await commit_and_publish(session, context.bus)
    return await render_incident(session, incident)


@router.get("/incidents/statistics", response_model=StatisticsOut)
async def read_statistics(
    *,
    viewer: CurrentViewer,
    session: DbSession,
    drill: Annotated[bool, Query(description="Include drills (left out by default)")] = False,
    opened_after: datetime | None = None,
    opened_before: datetime | None = None,
) -> StatisticsOut:
    found = await incident_statistics(
        session,
        viewer=viewer,
        include_drills=drill,
        opened_after=opened_after,
        opened_before=opened_before,
    )
    return StatisticsOut(**dataclasses.asdict(found))


@router.get("/incidents/{incident_id}", response_model=IncidentOut)
async def read_incident(*, incident: CurrentIncident, session: DbSession) -> IncidentOut:
    return await render_incident(session, incident)


@router.patch("/incidents/{incident_id}", response_model=IncidentOut)
async def update_incident(
    *,
    body: IncidentUpdateIn,
    principal: IncidentManager,
    incident: CurrentIncident,
    context: Context,
    session: DbSession,
    origin: Origin,
) -> IncidentOut:
    """Title, severity, category, classification, commander, assignee, services, sites and
    the need-to-know list; left-out fields are kept."""
    await changes.update_incident(
        session,
        incident=incident,
        changes=body.to_changes(),
        actor=Actor.from_principal(principal),
        now=context.clock.now(),
        origin=origin,
    )
    await commit_and_publish(session, context.bus)
    return await render_incident(session, incident)


@router.post("/incidents/{incident_id}/notes", response_model=TimelineEntryOut, status_code=201)
async def add_note(
    *,
    body: NoteIn,
    principal: IncidentResponder,
    incident: CurrentIncident,
    context: Context,
    session: DbSession,
    origin: Origin,
) -> TimelineEntryOut:
    entry = await changes.add_note(
        session,
        incident=incident,
        text=body.text,
        actor=Actor.from_principal(principal),
        now=context.clock.now(),
        origin=origin,
    )
    await commit_and_publish(session, context.bus)
    return TimelineEntryOut.of(entry)


@router.get("/incidents/{incident_id}/timeline", response_model=TimelinePage)
async def read_timeline(
    *,
    incident: CurrentIncident,
    session: DbSession,
    after_id: Annotated[int | None, Query(ge=0)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> TimelinePage:
    entries = await list_timeline(session, incident_id=incident.id, after_id=after_id, limit=limit)
    return TimelinePage(
        entries=[TimelineEntryOut.of(entry) for entry in entries],
        next_after_id=entries[-1].id if len(entries) == limit else None,
    )


@router.get("/incidents/{incident_id}/alerts", response_model=list[AlertOut])
async def read_alerts(*, incident: CurrentIncident, session: DbSession) -> list[AlertOut]:
    return [
        AlertOut.of(alert) for alert in await service.list_alerts(session, incident_id=incident.id)
    ]


@router.post("/incidents/{incident_id}/alerts", response_model=IncidentOut)
async def link_alerts(
    *,
    body: LinkAlertsIn,
    principal: IncidentManager,
    incident: CurrentIncident,
    viewer: CurrentViewer,
    context: Context,
    session: DbSession,
    origin: Origin,
) -> IncidentOut:
    """Move alerts (from other incidents, or from none) to this incident."""
    await merging.link_alerts(
        session,
        incident=incident,
        alert_ids=body.alert_ids,
        viewer=viewer,
        actor=Actor.from_principal(principal),
        now=context.clock.now(),
        origin=origin,
    )
    await commit_and_publish(session, context.bus)
    return await render_incident(session, incident)


@router.post("/incidents/{incident_id}/merge", response_model=IncidentOut)
async def merge(
    *,
    body: MergeIn,
    principal: IncidentManager,
    incident: CurrentIncident,
    viewer: CurrentViewer,
    context: Context,
    session: DbSession,
    origin: Origin,
) -> IncidentOut:
    """Fold incident ``source_incident_id`` into this one (it is closed as merged)."""
    source = await service.get_visible_incident(
        session, incident_id=body.source_incident_id, viewer=viewer
    )
    await merging.merge_incidents(
        session,
        target=incident,
        source=source,
        actor=Actor.from_principal(principal),
        now=context.clock.now(),
        origin=origin,
    )
    await commit_and_publish(session, context.bus)
    return await render_incident(session, incident)


# Included after this module's routes: /incidents/statistics must come before /{incident_id}.
router.include_router(transition_router)
router.include_router(attachment_router)
router.include_router(integration_router)
