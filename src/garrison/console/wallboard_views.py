"""The wallboard: the whole situation on one large screen, kept live by the stream."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from garrison.auth.permissions import Permission
from garrison.auth.principal import Principal
from garrison.console import board
from garrison.console.dependencies import EventPage, OptionalEventConfig
from garrison.event import service as event_service
from garrison.incidents.access import viewer_for
from garrison.web.dependencies import Context, DbSession
from garrison.web.templating import render

router = APIRouter(include_in_schema=False)

Area = Literal["clock", "services", "incidents", "duty", "directives"]
AREAS: tuple[Area, ...] = ("clock", "services", "incidents", "duty", "directives")
_AREA_PERMISSION = {
    "clock": Permission.EVENT_READ,
    "services": Permission.CHECK_READ,
    "incidents": Permission.INCIDENT_READ,
    "duty": Permission.DUTY_READ,
    "directives": Permission.DIRECTIVE_READ,
}


async def _area_values(
    area: Area,
    *,
    principal: Principal,
    session: DbSession,
    context: Context,
    config: OptionalEventConfig,
) -> dict[str, Any]:
    now = context.clock.now()
    if area == "clock":
        event = await event_service.find_event(session)
        phase = await event_service.current_phase(session, at=now) if event else None
        return {"event": event, "phase": phase}
    if area == "services":
        return {"services": await board.service_board(session)}
    if area == "incidents":
        viewer = await viewer_for(session, principal)
        return {"incidents": await board.open_incidents(session, viewer=viewer)}
    if config is None:
        return {}
    if area == "duty":
        return {"duty": await board.duty_board(session, config=config, now=now)}
    directives = await board.open_directives(session, principal=principal, config=config, now=now)
    return {"directives": directives}


async def _timezone(session: DbSession) -> str:
    event = await event_service.find_event(session)
    return event.timezone if event else "UTC"


@router.get("/wallboard", response_class=HTMLResponse)
async def wallboard_page(
    request: Request,
    principal: EventPage,
    session: DbSession,
    context: Context,
    config: OptionalEventConfig,
) -> HTMLResponse:
    values: dict[str, Any] = {"now": context.clock.now(), "timezone": await _timezone(session)}
    shown = [a for a in AREAS if principal.can(_AREA_PERMISSION[a])]
    for area in shown:
        values.update(
            await _area_values(
                area, principal=principal, session=session, context=context, config=config
            )
        )
    values["areas"] = shown
    return render(request, "console/wallboard.html", values)


@router.get("/wallboard/fragment/{area}", response_class=HTMLResponse)
async def wallboard_fragment(
    request: Request,
    area: Area,
    principal: EventPage,
    session: DbSession,
    context: Context,
    config: OptionalEventConfig,
) -> HTMLResponse:
    values: dict[str, Any] = {"now": context.clock.now(), "timezone": await _timezone(session)}
    if principal.can(_AREA_PERMISSION[area]):
        values.update(
            await _area_values(
                area, principal=principal, session=session, context=context, config=config
            )
        )
    return render(request, f"console/fragments/{area}.html", values)
