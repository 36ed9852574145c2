"""Duty over HTTP: who is on duty, rosters, coverage, run-time overrides and swaps.

Handover notes and check-ins are in :mod:`garrison.duty.serve_views`, included here,
so that the app mounts one router.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, status

from garrison.audit.actor import Actor
from garrison.auth.dependencies import require
from garrison.auth.permissions import Permission
from garrison.auth.principal import Principal
from garrison.config import EventConfig
from garrison.duty import service
from garrison.duty.coverage import check_coverage
from garrison.duty.dependencies import EventConfiguration, person_names
from garrison.duty.oncall import assignments, next_on_duty, who_is_on_duty
from garrison.duty.plan import DutyPlan
from garrison.duty.rotation import local_to_utc
from garrison.duty.schemas import (
    CoverageOut,
    DoubleBookingOut,
    GapOut,
    OnDutyOut,
    OverrideIn,
    OverrideOut,
    PlanProblemOut,
    PostDutyOut,
    RosterDayOut,
    RosterOut,
    SwapIn,
    SwapOut,
)
from garrison.duty.serve_views import router as serve_router
from garrison.web.dependencies import Context, DbSession, Origin

router = APIRouter(prefix="/duty", tags=["duty"])
router.include_router(serve_router)

DutyReader = Annotated[Principal, Depends(require(Permission.DUTY_READ))]
DutyManager = Annotated[Principal, Depends(require(Permission.DUTY_MANAGE))]
PostFilter = Annotated[str | None, Query(max_length=64, description="Only this post.")]
Limit = Annotated[int, Query(ge=1, le=service.MAX_LIST_LIMIT)]
_DAY = timedelta(days=1)


def _post_duty(config: EventConfig, plan: DutyPlan, post_id: str, at: datetime) -> PostDutyOut:
    post = service.find_post(config, post_id)
    names = person_names(config)
    current = who_is_on_duty(plan, post.id, at)
    upcoming = next_on_duty(plan, post.id, at)
    return PostDutyOut(
        post_id=post.id,
        name=post.name,
        unit_id=post.unit,
        at=at,
        on_duty=None if current is None else OnDutyOut.from_stretch(current, names),
        next=None if upcoming is None else OnDutyOut.from_stretch(upcoming, names),
    )


@router.get("/posts", response_model=list[PostDutyOut])
async def list_posts(
    _principal: DutyReader, session: DbSession, context: Context, config: EventConfiguration
) -> list[PostDutyOut]:
    """Every post with who is on duty now and who comes next."""
    plan = await service.load_plan(session, config=config)
    now = context.clock.now()
    return [_post_duty(config, plan, post.id, now) for post in config.organisation.posts]


@router.get("/posts/{post_id}", response_model=PostDutyOut)
async def read_post(
    post_id: str,
    _principal: DutyReader,
    session: DbSession,
    context: Context,
    config: EventConfiguration,
    at: Annotated[
        datetime | None, Query(description="When (default now); no offset: event time.")
    ] = None,
) -> PostDutyOut:
    """Who is on duty at one post at a given time (default now), and who comes next."""
    plan = await service.load_plan(session, config=config)
    moment = context.clock.now() if at is None else service.event_time(at, config)
    return _post_duty(config, plan, post_id, moment)


@router.get("/posts/{post_id}/roster", response_model=RosterOut)
async def read_roster(
    post_id: str,
    _principal: DutyReader,
    session: DbSession,
    context: Context,
    config: EventConfiguration,
    day: Annotated[
        date | None, Query(alias="date", description="A day (event time); default today.")
    ] = None,
    period: Literal["day", "week"] = "day",
) -> RosterOut:
    """Who holds a post, day by day, for one day or the week (Monday to Sunday) of a date."""
    service.find_post(config, post_id)
    zone = config.event.zone
    first = day if day is not None else context.clock.now().astimezone(zone).date()
    count = 1
    if period == "week":
        first -= timedelta(days=first.weekday())
        count = 7
    days = [first + timedelta(days=offset) for offset in range(count)]
    bounds = [local_to_utc(datetime.combine(d, time()), zone) for d in [*days, days[-1] + _DAY]]
    plan = await service.load_plan(session, config=config)
    held = assignments(plan, post_id, bounds[0], bounds[-1])
    names = person_names(config)
    return RosterOut(
        post_id=post_id,
        timezone=config.event.timezone,
        period=period,
        start=bounds[0],
        end=bounds[-1],
        days=[
            RosterDayOut(
                date=d,
                assignments=[
                    OnDutyOut.from_stretch(s, names)
                    for s in held
                    if s.start < bounds[i + 1] and s.end > bounds[i]
                ],
            )
            for i, d in enumerate(days)
        ],
    )


@router.get("/coverage", response_model=CoverageOut)
async def read_coverage(
    _principal: DutyReader, session: DbSession, config: EventConfiguration
) -> CoverageOut:
    """Every gap (a post with nobody on duty) and double booking over the operation window."""
    plan = await service.load_plan(session, config=config)
    report = check_coverage(plan)
    return CoverageOut(
        start=report.start,
        end=report.end,
        covered=report.covered,
        gaps=[GapOut(post_id=g.post, start=g.start, end=g.end) for g in report.gaps],
        double_bookings=[
            DoubleBookingOut(
                person_id=b.person,
                first_post_id=b.first_post,
                second_post_id=b.second_post,
                start=b.start,
                end=b.end,
            )
            for b in report.double_bookings
        ],
        problems=[PlanProblemOut(source=p.source, message=p.message) for p in report.problems],
    )


@router.get("/overrides", response_model=list[OverrideOut])
async def list_overrides(
    _principal: DutyReader,
    session: DbSession,
    post: PostFilter = None,
    include_cancelled: bool = False,
    limit: Limit = 100,
) -> list[OverrideOut]:
    """Run-time overrides, newest first (the configuration's own are in its file)."""
    rows = await service.list_overrides(
        session, post_id=post, include_cancelled=include_cancelled, limit=limit
    )
    return [OverrideOut.from_record(row) for row in rows]


@router.post("/overrides", response_model=OverrideOut, status_code=status.HTTP_201_CREATED)
async def create_override(
    body: OverrideIn,
    principal: DutyManager,
    session: DbSession,
    context: Context,
    config: EventConfiguration,
    origin: Origin,
) -> OverrideOut:
    """Put a person on a post over a time span, above every rotation layer."""
    row = await service.add_override(
        session,
        config=config,
        post_id=body.post_id,
        person_id=body.person_id,
        start=body.start,
        end=body.end,
        reason=body.reason,
        actor=Actor.from_principal(principal),
        at=context.clock.now(),
        origin=origin,
    )
    await session.commit()
    return OverrideOut.from_record(row)


@router.delete("/overrides/{override_id}", response_model=OverrideOut)
async def delete_override(
    override_id: int, principal: DutyManager, session: DbSession, context: Context, origin: Origin
) -> OverrideOut:
    """Cancel a run-time override (it stays on record)."""
    row = await service.cancel_override(
        session,
        override_id=override_id,
        actor=Actor.from_principal(principal),
        at=context.clock.now(),
        origin=origin,
    )
    await session.commit()
    return OverrideOut.from_record(row)


@router.get("/swaps", response_model=list[SwapOut])
async def list_swaps(
    _principal: DutyReader,
    session: DbSession,
    post: PostFilter = None,
    include_cancelled: bool = False,
    limit: Limit = 100,
) -> list[SwapOut]:
    """Run-time swaps, newest first."""
    rows = await service.list_swaps(
        session, post_id=post, include_cancelled=include_cancelled, limit=limit
    )
    return [SwapOut.from_record(row) for row in rows]


@router.post("/swaps", response_model=SwapOut, status_code=status.HTTP_201_CREATED)
async def create_swap(
    body: SwapIn,
    principal: DutyManager,
    session: DbSession,
    context: Context,
    config: EventConfiguration,
    origin: Origin,
) -> SwapOut:
    """Two people exchange one shift each; both shifts must be held as stated."""
    row = await service.add_swap(
        session,
        config=config,
        post_id=body.post_id,
        layer=body.layer,
        first_person_id=body.first.person_id,
        first_shift_start=body.first.shift_start,
        second_person_id=body.second.person_id,
        second_shift_start=body.second.shift_start,
        reason=body.reason,
        actor=Actor.from_principal(principal),
        at=context.clock.now(),
        origin=origin,
    )
    await session.commit()
    return SwapOut.from_record(row)


@router.delete("/swaps/{swap_id}", response_model=SwapOut)
async def delete_swap(
    swap_id: int, principal: DutyManager, session: DbSession, context: Context, origin: Origin
) -> SwapOut:
    """Cancel a run-time swap (it stays on record)."""
    row = await service.cancel_swap(
        session,
        swap_id=swap_id,
        actor=Actor.from_principal(principal),
        at=context.clock.now(),
        origin=origin,
    )
    await session.commit()
    return SwapOut.from_record(row)
