"""The duty page: who holds each post today, gaps, handover notes and the check-in button."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.audit.actor import Actor
from garrison.auth.permissions import Permission
from garrison.auth.principal import Principal
from garrison.config import EventConfig
from garrison.console import board
from garrison.console.dependencies import DutyPage, DutyServerPage, OptionalEventConfig
from garrison.console.form_posts import Change, redirect_or_error_page
from garrison.duty import checkin, handover, service
from garrison.duty.oncall import assignments
from garrison.errors import ConflictError
from garrison.i18n import gettext as _
from garrison.notify.recipients import person_of_username
from garrison.reports.shift import reports_of_handovers
from garrison.web.dependencies import Context, DbSession, Origin
from garrison.web.templating import render

router = APIRouter(include_in_schema=False)

HANDOVER_HISTORY = 30
PostField = Annotated[str, Form(max_length=64)]
RemarksField = Annotated[str, Form(max_length=4000)]


def required_config(config: EventConfig | None) -> EventConfig:
    if config is None:
        raise ConflictError(
            _("Garrison was started without a configuration file: duty rosters come from it.")
        )
    return config


async def _page(
    request: Request,
    session: AsyncSession,
    context: Context,
    *,
    principal: Principal,
    config: EventConfig,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    now = context.clock.now()
    plan = await service.load_plan(session, config=config)
    day_start = datetime.combine(now.astimezone(plan.zone).date(), time(0), tzinfo=plan.zone)
    day_end = day_start + timedelta(days=1)
    roster = {
        post.id: assignments(plan, post.id, day_start, day_end)
        for post in config.organisation.posts
    }
    me = person_of_username(config, principal.username)
    my_posts = [
        post.id for post, held in ((p, roster[p.id]) for p in config.organisation.posts)
        if me is not None and any(a.person == me.id and a.start <= now < a.end for a in held)
    ]  # fmt: skip
    notes = await handover.list_handovers(session, post_id=None, limit=HANDOVER_HISTORY)
    values: dict[str, Any] = {
        "board": await board.duty_board(session, config=config, now=now),
        "roster": roster,
        "posts": config.organisation.posts,
        "me": me,
        "my_posts": my_posts,
        "handovers": notes,
        # Links to the shift report written at each handover, for those who may read reports.
        "shift_reports": (
            await reports_of_handovers(session, handover_ids=[note.id for note in notes])
            if principal.can(Permission.REPORT_READ)
            else {}
        ),
        "now": now,
        "timezone": config.event.timezone,
        "error": error,
        "can_serve": principal.can(Permission.DUTY_SERVE),
    }
    return render(request, "console/duty.html", values, status_code=status_code)


@router.get("/duty", response_class=HTMLResponse)
async def duty_page(
    request: Request,
    principal: DutyPage,
    session: DbSession,
    context: Context,
    config: OptionalEventConfig,
) -> HTMLResponse:
    return await _page(
        request, session, context, principal=principal, config=required_config(config)
    )


async def _change(
    request: Request,
    session: AsyncSession,
    context: Context,
    *,
    principal: Principal,
    config: EventConfig,
    change: Change,
) -> Response:
    page = partial(_page, request, session, context, principal=principal, config=config)
    return await redirect_or_error_page(session, change, location="/duty", error_page=page)


@router.post("/duty/handover", response_class=HTMLResponse)
async def write_handover(
    request: Request,
    principal: DutyServerPage,
    session: DbSession,
    context: Context,
    config: OptionalEventConfig,
    origin: Origin,
    post_id: PostField,
    remarks: RemarksField = "",
) -> Response:
    config = required_config(config)

    async def write() -> None:
        service.find_post(config, post_id)
        person = service.person_of_user(config, principal.username)
        await handover.write_handover(
            session,
            plan=await service.load_plan(session, config=config),
            post_id=post_id,
            person_id=person.id,
            content=handover.HandoverContent(remarks=remarks),
            grace=timedelta(minutes=config.duty.handover_grace_minutes),
            actor=Actor.from_principal(principal),
            at=context.clock.now(),
            origin=origin,
        )

    return await _change(
        request, session, context, principal=principal, config=config, change=write
    )


@router.post("/duty/handover/{handover_id}/acknowledge", response_class=HTMLResponse)
async def acknowledge_handover(
    request: Request,
    handover_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    principal: DutyServerPage,
    session: DbSession,
    context: Context,
    config: OptionalEventConfig,
    origin: Origin,
    remarks: RemarksField = "",
) -> Response:
    await handover.get_handover(session, handover_id=handover_id)
    config = required_config(config)

    async def acknowledge() -> None:
        person = service.person_of_user(config, principal.username)
        await handover.acknowledge_handover(
            session,
            handover_id=handover_id,
            person_id=person.id,
            remarks=remarks,
            actor=Actor.from_principal(principal),
            at=context.clock.now(),
            origin=origin,
        )

    return await _change(
        request, session, context, principal=principal, config=config, change=acknowledge
    )


@router.post("/duty/checkin", response_class=HTMLResponse)
async def check_in(
    request: Request,
    principal: DutyServerPage,
    session: DbSession,
    context: Context,
    config: OptionalEventConfig,
    origin: Origin,
    post_id: PostField,
) -> Response:
    config = required_config(config)

    async def record() -> None:
        service.find_post(config, post_id)
        person = service.person_of_user(config, principal.username)
        await checkin.check_in(
            session,
            plan=await service.load_plan(session, config=config),
            post_id=post_id,
            person_id=person.id,
            early=timedelta(minutes=config.duty.check_in_early_minutes),
            grace=timedelta(minutes=config.duty.check_in_grace_minutes),
            actor=Actor.from_principal(principal),
            at=context.clock.now(),
            origin=origin,
        )

    return await _change(
        request, session, context, principal=principal, config=config, change=record
    )
