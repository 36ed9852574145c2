"""Runbook checklists on the incident page: ticking a step.

The same service as ``POST /api/v1/incidents/{id}/runbooks/steps/{step}/done``
(``garrison.readiness.plans.tick_step``): who and when are stored, the step goes on the
incident's timeline, audited. Needs ``incident:respond``; the incident is loaded through
the console's need-to-know check, so a hidden incident's steps are as missing as it is.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, Response

from garrison.audit.actor import Actor
from garrison.console.dependencies import IncidentResponderPage, PageIncident
from garrison.console.incident_views import redirect_or_incident_page
from garrison.readiness.models import MAX_TEXT_LENGTH
from garrison.readiness.plans import tick_step
from garrison.web.dependencies import Context, DbSession, Origin

router = APIRouter(include_in_schema=False)

StepId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.post("/incidents/{incident_id}/runbooks/steps/{step_id}/done", response_class=HTMLResponse)
async def tick(
    request: Request,
    principal: IncidentResponderPage,
    incident: PageIncident,
    step_id: StepId,
    session: DbSession,
    context: Context,
    origin: Origin,
    note: Annotated[str, Form(max_length=MAX_TEXT_LENGTH)] = "",
) -> Response:
    async def mark_done() -> None:
        await tick_step(
            session,
            incident_id=incident.id,
            step_id=step_id,
            note=note.strip() or None,
            actor=Actor.from_principal(principal),
            now=context.clock.now(),
            origin=origin,
        )

    return await redirect_or_incident_page(
        request, session, principal=principal, incident=incident, context=context,
        change=mark_done, anchor=f"#runbook-step-{step_id}",
    )  # fmt: skip
