"""The duty week: 7 days by posts with who holds each shift, run-time overrides and swaps.

``DUTY_MANAGE`` adds and cancels overrides and swaps here with the duty domain's
own service functions; a time without an offset is read in the event's time zone.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.audit.actor import Actor
from garrison.auth.dependencies import require_page
from garrison.auth.permissions import Permission
from garrison.auth.principal import Principal
from garrison.config import EventConfig
from garrison.console.dependencies import DutyPage, OptionalEventConfig
from garrison.console.duty_views import required_config
from garrison.console.form_posts import Change, redirect_or_error_page
from garrison.duty import service
from garrison.duty.oncall import OnDuty, assignments
from garrison.errors import ValidationFailed
from garrison.i18n import gettext as _
from garrison.web.dependencies import Context, DbSession, Origin
from garrison.web.templating import render

router = APIRouter(include_in_schema=False)

DutyManagerPage = Annotated[Principal, Depends(require_page(Permission.DUTY_MANAGE))]
WEEK_DAYS = 7
LIST_LIMIT = 100
IdField = Annotated[str, Form(max_length=64)]
TimeField = Annotated[str, Form(max_length=40)]
ReasonField = Annotated[str, Form(max_length=500)]
RecordId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def parse_time(value: str, field: str) -> datetime:
    """An ISO time from a form (``datetime-local`` sends no offset); names the field if bad."""
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise ValidationFailed(
            _("%(field)s: not a date and time (YYYY-MM-DDTHH:MM).") % {"field": field}
        ) from exc


def _week_start(value: str, today: date) -> date:
    if not value:
        return today
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ValidationFailed(_("start: not a date (YYYY-MM-DD).")) from exc


async def _week_page(
    request: Request,
    session: AsyncSession,
    context: Context,
    *,
    principal: Principal,
    config: EventConfig,
    start: str = "",
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    plan = await service.load_plan(session, config=config)
    now = context.clock.now()
    first = _week_start(start, now.astimezone(plan.zone).date())
    days = [first + timedelta(days=offset) for offset in range(WEEK_DAYS)]
    grid: dict[str, list[list[OnDuty]]] = {}
    for post in config.organisation.posts:
        row = []
        for day in days:
            low = datetime.combine(day, time(0), tzinfo=plan.zone)
            row.append(assignments(plan, post.id, low, low + timedelta(days=1)))
        grid[post.id] = row
    values: dict[str, Any] = {
        "days": days,
        "previous": (first - timedelta(days=WEEK_DAYS)).isoformat(),
        "following": (first + timedelta(days=WEEK_DAYS)).isoformat(),
        "posts": config.organisation.posts,
        "people": config.organisation.people,
        "names": {person.id: person.name for person in config.organisation.people},
        "grid": grid,
        "overrides": await service.list_overrides(
            session, post_id=None, include_cancelled=False, limit=LIST_LIMIT
        ),
        "swaps": await service.list_swaps(
            session, post_id=None, include_cancelled=False, limit=LIST_LIMIT
        ),
        "timezone": config.event.timezone,
        "can_manage": principal.can(Permission.DUTY_MANAGE),
        "error": error,
    }
    return render(request, "console/duty_week.html", values, status_code=status_code)


@router.get("/duty/week", response_class=HTMLResponse)
async def week_page(
    request: Request,
    principal: DutyPage,
    session: DbSession,
    context: Context,
    config: OptionalEventConfig,
    start: Annotated[str, Query(max_length=10)] = "",
) -> HTMLResponse:
    try:
        return await _week_page(
            request, session, context, principal=principal, config=required_config(config),
            start=start,
        )  # fmt: skip
    except ValidationFailed as exc:
        return await _week_page(
            request, session, context, principal=principal, config=required_config(config),
            error=str(exc), status_code=exc.http_status,
        )  # fmt: skip


async def _change(
    request: Request,
    session: AsyncSession,
    context: Context,
    *,
    principal: Principal,
    config: EventConfig,
    change: Change,
) -> Response:
    page = partial(_week_page, request, session, context, principal=principal, config=config)
    return await redirect_or_error_page(session, change, location="/duty/week", error_page=page)


@router.post("/duty/overrides", response_class=HTMLResponse)
async def add_override(
    request: Request,
    principal: DutyManagerPage,
    session: DbSession,
    context: Context,
    config: OptionalEventConfig,
    origin: Origin,
    post_id: IdField,
    person_id: IdField,
    start: TimeField,
    end: TimeField,
    reason: ReasonField = "",
) -> Response:
    config = required_config(config)
    return await _change(
        request, session, context, principal=principal, config=config,
        change=lambda: service.add_override(
            session, config=config, post_id=post_id, person_id=person_id,
            start=parse_time(start, "start"), end=parse_time(end, "end"), reason=reason.strip(),
            actor=Actor.from_principal(principal), at=context.clock.now(), origin=origin,
        ),
    )  # fmt: skip


@router.post("/duty/swaps", response_class=HTMLResponse)
async def add_swap(
    request: Request,
    principal: DutyManagerPage,
    session: DbSession,
    context: Context,
    config: OptionalEventConfig,
    origin: Origin,
    post_id: IdField,
    first_person_id: IdField,
    first_shift_start: TimeField,
    second_person_id: IdField,
    second_shift_start: TimeField,
    layer: IdField = "base",
    reason: ReasonField = "",
) -> Response:
    config = required_config(config)
    return await _change(
        request, session, context, principal=principal, config=config,
        change=lambda: service.add_swap(
            session, config=config, post_id=post_id, layer=layer,
            first_person_id=first_person_id,
            first_shift_start=parse_time(first_shift_start, "first.shift_start"),
            second_person_id=second_person_id,
            second_shift_start=parse_time(second_shift_start, "second.shift_start"),
            reason=reason.strip(), actor=Actor.from_principal(principal),
            at=context.clock.now(), origin=origin,
        ),
    )  # fmt: skip


@router.post("/duty/overrides/{override_id}/cancel", response_class=HTMLResponse)
async def cancel_override(
    request: Request,
    override_id: RecordId,
    principal: DutyManagerPage,
    session: DbSession,
    context: Context,
    config: OptionalEventConfig,
    origin: Origin,
) -> Response:
    return await _change(
        request, session, context, principal=principal, config=required_config(config),
        change=lambda: service.cancel_override(
            session, override_id=override_id, actor=Actor.from_principal(principal),
            at=context.clock.now(), origin=origin,
        ),
    )  # fmt: skip


@router.post("/duty/swaps/{swap_id}/cancel", response_class=HTMLResponse)
async def cancel_swap(
    request: Request,
    swap_id: RecordId,
    principal: DutyManagerPage,
    session: DbSession,
    context: Context,
    config: OptionalEventConfig,
    origin: Origin,
) -> Response:
    return await _change(
        request, session, context, principal=principal, config=required_config(config),
        change=lambda: service.cancel_swap(
            session, swap_id=swap_id, actor=Actor.from_principal(principal),
            at=context.clock.now(), origin=origin,
        ),
    )  # fmt: skip
