"""Moving an incident through its states over HTTP: acknowledge, mitigate, resolve, close,
reopen. Responders acknowledge, mitigate and resolve; managers close and reopen."""

from __future__ import annotations

from fastapi import APIRouter

from garrison.audit.actor import Actor
from garrison.incidents import transitions
from garrison.incidents.dependencies import CurrentIncident, IncidentManager, IncidentResponder
from garrison.incidents.outbox import commit_and_publish
from garrison.incidents.rendering import render_incident
from garrison.incidents.schemas import CloseIn, IncidentOut, ReopenIn, ResolveIn, TransitionIn
from garrison.incidents.vocabulary import IncidentStatus
from garrison.web.dependencies import Context, DbSession, Origin

router = APIRouter(tags=["incidents"])


@router.post("/incidents/{incident_id}/acknowledge", response_model=IncidentOut)
async def acknowledge(
    *,
    principal: IncidentResponder,
    incident: CurrentIncident,
    context: Context,
    session: DbSession,
    origin: Origin,
    body: TransitionIn | None = None,
) -> IncidentOut:
    await transitions.acknowledge_incident(
        session,
        incident=incident,
        actor=Actor.from_principal(principal),
        now=context.clock.now(),
        note=body.note if body else None,
        origin=origin,
    )
    await commit_and_publish(session, context.bus)
    return await render_incident(session, incident)


@router.post("/incidents/{incident_id}/mitigate", response_model=IncidentOut)
async def mitigate(
    *,
    principal: IncidentResponder,
    incident: CurrentIncident,
    context: Context,
    session: DbSession,
    origin: Origin,
    body: TransitionIn | None = None,
) -> IncidentOut:
    await transitions.mitigate_incident(
        session,
        incident=incident,
        actor=Actor.from_principal(principal),
        now=context.clock.now(),
        note=body.note if body else None,
        origin=origin,
    )
    await commit_and_publish(session, context.bus)
    return await render_incident(session, incident)


@router.post("/incidents/{incident_id}/resolve", response_model=IncidentOut)
async def resolve(
    *,
    principal: IncidentResponder,
    incident: CurrentIncident,
    context: Context,
    session: DbSession,
    origin: Origin,
    body: ResolveIn | None = None,
) -> IncidentOut:
    body = body or ResolveIn()
    await transitions.resolve_incident(
        session,
        incident=incident,
        actor=Actor.from_principal(principal),
        now=context.clock.now(),
        note=body.note,
        resolution_summary=body.resolution_summary,
        root_cause=body.root_cause,
        origin=origin,
    )
    await commit_and_publish(session, context.bus)
    return await render_incident(session, incident)


@router.post("/incidents/{incident_id}/close", response_model=IncidentOut)
async def close(
    *,
    principal: IncidentManager,
    incident: CurrentIncident,
    context: Context,
    session: DbSession,
    origin: Origin,
    body: CloseIn | None = None,
) -> IncidentOut:
    """Close a resolved incident; SEV1 and SEV2 need ``resolution_summary`` and ``root_cause``."""
    body = body or CloseIn()
    await transitions.close_incident(
        session,
        incident=incident,
        actor=Actor.from_principal(principal),
        now=context.clock.now(),
        note=body.note,
        resolution_summary=body.resolution_summary,
        root_cause=body.root_cause,
        origin=origin,
    )
    await commit_and_publish(session, context.bus)
    return await render_incident(session, incident)


@router.post("/incidents/{incident_id}/reopen", response_model=IncidentOut)
async def reopen(
    *,
    body: ReopenIn,
    principal: IncidentManager,
    incident: CurrentIncident,
    context: Context,
    session: DbSession,
    origin: Origin,
) -> IncidentOut:
    await transitions.reopen_incident(
        session,
        incident=incident,
        to=IncidentStatus(body.to),
        reason=body.reason,
        actor=Actor.from_principal(principal),
        now=context.clock.now(),
        origin=origin,
    )
    await commit_and_publish(session, context.bus)
    return await render_incident(session, incident)
