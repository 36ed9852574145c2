"""The one-click acknowledgement pages: GET shows what the link does, POST does it.

No sign-in and no CSRF token: the signed link is the credential, and it acts only
on POST, so a mail scanner fetching the link acknowledges nothing.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse

from garrison.config import EventConfig
from garrison.errors import GarrisonError
from garrison.i18n import gettext as _
from garrison.incidents.outbox import commit_and_publish
from garrison.notify.acknowledge import LinkState, LinkView, inspect_link, use_link
from garrison.notify.links import MAX_TOKEN_LENGTH, server_secret
from garrison.notify.views_support import optional_event
from garrison.web.dependencies import Context, DbSession, Origin
from garrison.web.templating import render

router = APIRouter(include_in_schema=False)

Token = Annotated[str, Path(min_length=1, max_length=MAX_TOKEN_LENGTH)]
TEMPLATE = "notify_acknowledge.html"


def _page(
    request: Request, *, view: LinkView | None, message: str | None, problem: bool, status: int
) -> HTMLResponse:
    values: dict[str, Any] = {
        "incident": view.incident if view is not None else None,
        "person": view.notification.recipient_name if view is not None else "",
        "ready": view is not None and view.state == LinkState.READY and not problem,
        "action": request.url.path,
        "message": message,
        "problem": problem,
    }
    return render(request, TEMPLATE, values, status_code=status)


def _state_message(view: LinkView) -> str | None:
    if view.state == LinkState.USED:
        return _("This link was used already; it works only once.")
    if view.state == LinkState.EXPIRED:
        return _("This link has expired.")
    if view.state == LinkState.SETTLED:
        return _("This incident is no longer waiting for an acknowledgement.")
    return None


@router.get("/ack/{token}", response_class=HTMLResponse)
async def show_acknowledge_link(
    request: Request, token: Token, context: Context, session: DbSession
) -> HTMLResponse:
    try:
        view = await inspect_link(
            session,
            secret=server_secret(context.settings),
            token=token,
            now=context.clock.now(),
        )
    except GarrisonError as exc:
        return _page(request, view=None, message=str(exc), problem=True, status=exc.http_status)
    message = _state_message(view)
    status = 410 if view.state in {LinkState.USED, LinkState.EXPIRED} else 200
    return _page(request, view=view, message=message, problem=message is not None, status=status)


@router.post("/ack/{token}", response_class=HTMLResponse)
async def use_acknowledge_link(
    request: Request, token: Token, context: Context, session: DbSession, origin: Origin
) -> HTMLResponse:
    config: EventConfig | None = optional_event(context)
    try:
        view = await use_link(
            session,
            secret=server_secret(context.settings),
            token=token,
            config=config,
            now=context.clock.now(),
            origin=origin,
        )
        await commit_and_publish(session, context.bus)
    except GarrisonError as exc:
        await session.rollback()
        return _page(request, view=None, message=str(exc), problem=True, status=exc.http_status)
    message = _("Incident #%(id)d is acknowledged in the name of %(name)s. Thank you.") % {
        "id": view.incident.id,
        "name": view.notification.recipient_name,
    }
    return _page(request, view=view, message=message, problem=False, status=200)
