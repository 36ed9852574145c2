"""Moving an incident through its states over HTTP: acknowledge, mitigate, resolve, close,
reopen. Responders acknowledge, mitigate and resolve; managers close and reopen.

Every route loads the incident (need-to-know), checks the permission, calls one
transition, commits and answers the incident: ``_Move`` does all but the call.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.audit.actor import Actor
from garrison.auth.dependencies import require
from garrison.auth.permissions import Permission
from garrison.auth.principal import Principal, RequestOrigin
from garrison.incidents import transitions
from garrison.incidents.dependencies import CurrentIncident
from garrison.incidents.models import Incident
from garrison.incidents.outbox import commit_and_publish
from garrison.incidents.rendering import render_incident
from garrison.incidents.schemas import CloseIn, IncidentOut, ReopenIn, ResolveIn, TransitionIn
from garrison.incidents.vocabulary import IncidentStatus
from garrison.runtime.context import AppContext
from garrison.web.dependencies import Context, DbSession, Origin

router = APIRouter(tags=["incidents"])


@dataclass(frozen=True, slots=True)
class _Move:
    """One transition asked for over HTTP, with what every transition needs."""

    principal: Principal
    incident: Incident
    session: AsyncSession
    context: AppContext
    origin: RequestOrigin

    @property
    def actor(self) -> Actor:
        return Actor.from_principal(self.principal)

    @property
    def now(self) -> datetime:
        return self.context.clock.now()

    async def answer(self, change: Awaitable[object]) -> IncidentOut:
        """Await ``change``, commit and publish, and answer the incident as it is now."""
        await change
        await commit_and_publish(self.session, self.context.bus)
        return await render_incident(self.session, self.incident)


def _moving(permission: Permission) -> Callable[..., Awaitable[_Move]]:
    """The dependency of a transition needing ``permission`` (checked before the incident)."""

    async def moving(
        *,
        principal: Principal = Depends(require(permission)),  # noqa: B008 - FastAPI's way
        incident: CurrentIncident,
        session: DbSession,
        context: Context,
        origin: Origin,
    ) -> _Move:
        return _Move(principal, incident, session, context, origin)

    return moving


Responding = Annotated[_Move, Depends(_moving(Permission.INCIDENT_RESPOND))]
Managing = Annotated[_Move, Depends(_moving(Permission.INCIDENT_MANAGE))]


@router.post("/incidents/{incident_id}/acknowledge", response_model=IncidentOut)
async def acknowledge(move: Responding, body: TransitionIn | None = None) -> IncidentOut:
    return await move.answer(
        transitions.acknowledge_incident(
            move.session,
            incident=move.incident,
            actor=move.actor,
            now=move.now,
            note=body.note if body else None,
            origin=move.origin,
        )
    )


@router.post("/incidents/{incident_id}/mitigate", response_model=IncidentOut)
async def mitigate(move: Responding, body: TransitionIn | None = None) -> IncidentOut:
    return await move.answer(
        transitions.mitigate_incident(
            move.session,
            incident=move.incident,
            actor=move.actor,
            now=move.now,
            note=body.note if body else None,
            origin=move.origin,
        )
    )


@router.post("/incidents/{incident_id}/resolve", response_model=IncidentOut)
async def resolve(move: Responding, body: ResolveIn | None = None) -> IncidentOut:
    body = body or ResolveIn()
    return await move.answer(
        transitions.resolve_incident(
            move.session,
            incident=move.incident,
            actor=move.actor,
            now=move.now,
            note=body.note,
            resolution_summary=body.resolution_summary,
            root_cause=body.root_cause,
            origin=move.origin,
        )
    )


@router.post("/incidents/{incident_id}/close", response_model=IncidentOut)
async def close(move: Managing, body: CloseIn | None = None) -> IncidentOut:
    """Close a resolved incident; SEV1 and SEV2 need ``resolution_summary`` and ``root_cause``."""
    body = body or CloseIn()
    return await move.answer(
        transitions.close_incident(
            move.session,
            incident=move.incident,
            actor=move.actor,
            now=move.now,
            note=body.note,
            resolution_summary=body.resolution_summary,
            root_cause=body.root_cause,
            origin=move.origin,
        )
    )


@router.post("/incidents/{incident_id}/reopen", response_model=IncidentOut)
async def reopen(move: Managing, body: ReopenIn) -> IncidentOut:
    return await move.answer(
        transitions.reopen_incident(
            move.session,
            incident=move.incident,
            to=IncidentStatus(body.to),
            reason=body.reason,
            actor=move.actor,
            now=move.now,
            origin=move.origin,
        )
    )
