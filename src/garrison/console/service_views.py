"""Service pages: every service with its availability, and one service in depth.

The page of one service draws its state history and latency as inline SVG made
on the server, lists its checks with their last results, and for content checks
shows the page text against its baseline with "approve as new baseline".
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from garrison.audit.actor import Actor
from garrison.auth.permissions import Permission
from garrison.console import service_board
from garrison.console.dependencies import BaselineApproverPage, CheckPage
from garrison.errors import NotFoundError
from garrison.event import service as event_service
from garrison.i18n import gettext as _
from garrison.probes import actions
from garrison.probes import service as probes
from garrison.probes.commands import BaselineApproved
from garrison.web.dependencies import Context, DbSession, Origin
from garrison.web.templating import render

router = APIRouter(include_in_schema=False)

SubjectId = Annotated[str, Path(min_length=1, max_length=64)]


async def _timezone(session: DbSession) -> str:
    event = await event_service.find_event(session)
    return event.timezone if event else "UTC"


@router.get("/services", response_class=HTMLResponse)
async def services_page(
    request: Request, _principal: CheckPage, session: DbSession, context: Context
) -> HTMLResponse:
    rows, reports = await service_board.list_services(session, now=context.clock.now())
    return render(
        request,
        "console/services.html",
        {"rows": rows, "reports": reports, "timezone": await _timezone(session)},
    )


@router.get("/services/{service_id}", response_class=HTMLResponse)
async def service_page(
    request: Request,
    service_id: SubjectId,
    principal: CheckPage,
    session: DbSession,
    context: Context,
    hours: Annotated[int, Query(ge=1, le=168)] = 24,
) -> HTMLResponse:
    detail = await service_board.service_detail(
        session, service_id=service_id, now=context.clock.now(), hours=hours
    )
    values: dict[str, Any] = {
        "detail": detail,
        "hours": hours,
        "hour_choices": service_board.HISTORY_HOURS,
        "timezone": await _timezone(session),
        "can_approve": principal.can(Permission.BASELINE_APPROVE),
    }
    return render(request, "console/service.html", values)


@router.post("/services/{service_id}/checks/{check_id}/baseline", response_class=HTMLResponse)
async def approve_baseline(
    service_id: SubjectId,
    check_id: SubjectId,
    principal: BaselineApproverPage,
    session: DbSession,
    context: Context,
    origin: Origin,
) -> Response:
    """Approve the page the content check last saw as its new baseline."""
    await probes.get_service(session, service_id=service_id)
    check = await probes.get_check(session, check_id=check_id, active=True)
    if check.service_id != service_id:
        raise NotFoundError(_("There is no check with the id %(id)s.") % {"id": check_id})
    now = context.clock.now()
    await actions.approve_baseline(
        session, check_id=check.id, actor=Actor.from_principal(principal), at=now, origin=origin
    )
    await session.commit()
    await context.bus.publish(BaselineApproved(occurred_at=now, check_id=check.id))
    return RedirectResponse(f"/services/{service_id}#check-{check.id}", status_code=303)
