"""The directives page: mine, issued by me, all (leaders); issue, acknowledge, complete."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.audit.actor import Actor
from garrison.auth.permissions import Permission
from garrison.console.dependencies import DirectiveIssuerPage, DirectivePage
from garrison.console.form_posts import Change, redirect_or_error_page
from garrison.directives.models import MAX_TEXT_LENGTH
from garrison.directives.queries import DirectiveFilter, list_directives
from garrison.directives.service import (
    NewDirective,
    ReceiverKind,
    acknowledge_directive,
    complete_directive,
    issue_directive,
    receiver_label,
)
from garrison.directives.views import Caller, CurrentCaller, VisibleDirective
from garrison.errors import ValidationFailed
from garrison.i18n import gettext as _
from garrison.incidents.outbox import commit_and_publish
from garrison.web.dependencies import Context, DbSession, Origin
from garrison.web.templating import render

router = APIRouter(include_in_schema=False)

View = Literal["mine", "issued", "all"]
LIST_LIMIT = 100
Text = Annotated[str, Form(max_length=MAX_TEXT_LENGTH)]
Identifier = Annotated[str, Form(max_length=64)]


async def _page(
    request: Request,
    session: AsyncSession,
    caller: Caller,
    *,
    view: View,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    scope = caller.scope
    if view == "all" and not scope.sees_all:
        view = "mine"
    filters = DirectiveFilter(
        issued_by_user_id=caller.principal.user_id if view == "issued" else None,
        assigned=scope.assignment if view == "mine" else None,
        nobody_assigned=view == "mine" and scope.assignment is None,
    )
    rows = await list_directives(session, scope=scope, filters=filters, limit=LIST_LIMIT)
    values: dict[str, Any] = {
        "view": view,
        "sees_all": scope.sees_all,
        "directives": [
            (row, receiver_label(caller.config, row), caller.receives(row)) for row in rows
        ],
        "can_issue": caller.principal.can(Permission.DIRECTIVE_ISSUE),
        "people": caller.config.organisation.people,
        "posts": caller.config.organisation.posts,
        "units": caller.config.organisation.units,
        "now": caller.now,
        "timezone": caller.config.event.timezone,
        "error": error,
    }
    return render(request, "console/directives.html", values, status_code=status_code)


@router.get("/directives", response_class=HTMLResponse)
async def directives_page(
    request: Request,
    _principal: DirectivePage,
    caller: CurrentCaller,
    session: DbSession,
    view: Annotated[View, Query()] = "mine",
) -> HTMLResponse:
    return await _page(request, session, caller, view=view)


def _deadline(value: str, timezone: str) -> datetime:
    try:
        local = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(
            _("The deadline is not a date and time (deadline): %(value)s") % {"value": value[:40]}
        ) from None
    if local.tzinfo is None:
        local = local.replace(tzinfo=ZoneInfo(timezone))
    return local


async def _finish(
    request: Request, session: AsyncSession, context: Context, caller: Caller, change: Change
) -> Response:
    return await redirect_or_error_page(
        session, change, location="/directives",
        error_page=partial(_page, request, session, caller, view="mine"),
        commit=lambda: commit_and_publish(session, context.bus),
    )  # fmt: skip


@router.post("/directives/issue", response_class=HTMLResponse)
async def issue(
    request: Request,
    principal: DirectiveIssuerPage,
    caller: CurrentCaller,
    session: DbSession,
    context: Context,
    origin: Origin,
    text: Text,
    receiver: Annotated[str, Form(max_length=80)],
    deadline: Annotated[str, Form(max_length=40)],
) -> Response:
    """``receiver`` is ``kind:id`` (person, post or unit), as the form's options carry it."""

    async def change() -> None:
        kind, _sep, target = receiver.partition(":")
        if kind not in {k.value for k in ReceiverKind} or not target:
            raise ValidationFailed(
                _("Choose who receives the directive (receiver): %(value)s") % {"value": receiver}
            )
        await issue_directive(
            session,
            new=NewDirective(
                text=text,
                receiver_kind=ReceiverKind(kind),
                receiver_id=target,
                deadline=_deadline(deadline, caller.config.event.timezone),
            ),
            issuer=principal,
            config=caller.config,
            plan=caller.plan,
            now=caller.now,
            origin=origin,
        )

    return await _finish(request, session, context, caller, change)


@router.post("/directives/{directive_id}/acknowledge", response_class=HTMLResponse)
async def acknowledge(
    request: Request,
    _principal: DirectivePage,
    caller: CurrentCaller,
    directive: VisibleDirective,
    session: DbSession,
    context: Context,
    origin: Origin,
) -> Response:
    async def change() -> None:
        await acknowledge_directive(
            session,
            directive=directive,
            receiver=caller.receives(directive),
            actor=Actor.from_principal(caller.principal),
            now=caller.now,
            origin=origin,
        )

    return await _finish(request, session, context, caller, change)


@router.post("/directives/{directive_id}/complete", response_class=HTMLResponse)
async def complete(
    request: Request,
    _principal: DirectivePage,
    caller: CurrentCaller,
    directive: VisibleDirective,
    session: DbSession,
    context: Context,
    origin: Origin,
    note: Text,
) -> Response:
    async def change() -> None:
        await complete_directive(
            session,
            directive=directive,
            receiver=caller.receives(directive),
            note=note,
            actor=Actor.from_principal(caller.principal),
            now=caller.now,
            origin=origin,
        )

    return await _finish(request, session, context, caller, change)
