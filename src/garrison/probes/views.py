"""Checks and services over HTTP: state, history, results, availability, operator actions.

Reads need ``check:read``. Running a check now and pausing it need ``check:operate``;
approving a content baseline ``baseline:approve``; maintenance windows
``maintenance:manage`` (see ``maintenance_views``). Heartbeats take no login: the
token in their URL is the credential (see ``heartbeat_views``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from garrison.audit.actor import Actor
from garrison.auth.dependencies import require
from garrison.auth.permissions import Permission
from garrison.auth.principal import Principal
from garrison.errors import ValidationFailed
from garrison.i18n import gettext as _
from garrison.probes import actions, service
from garrison.probes.availability import availability_of
from garrison.probes.commands import BaselineApproved, CheckPauseChanged, CheckRunRequested
from garrison.probes.heartbeat import issue_heartbeat_token
from garrison.probes.heartbeat_views import router as heartbeat_router
from garrison.probes.maintenance_views import router as maintenance_router
from garrison.probes.models import CheckRecord
from garrison.probes.ranges import BeforeId, PageSize, Range, history_page
from garrison.probes.schemas import (
    AvailabilityOut,
    BaselineOut,
    CheckDetailOut,
    CheckOut,
    HeartbeatOut,
    HeartbeatTokenOut,
    HistoryPage,
    PauseIn,
    ResultOut,
    ResultPage,
    RollupOut,
    RunRequestedOut,
)
from garrison.probes.service_views import router as service_router
from garrison.web.dependencies import Context, DbSession, Origin

router = APIRouter(tags=["probes"])
router.include_router(maintenance_router)
router.include_router(heartbeat_router)
router.include_router(service_router)

CheckReader = Annotated[Principal, Depends(require(Permission.CHECK_READ))]
CheckOperator = Annotated[Principal, Depends(require(Permission.CHECK_OPERATE))]
BaselineApprover = Annotated[Principal, Depends(require(Permission.BASELINE_APPROVE))]
SubjectId = Annotated[str, Path(max_length=64)]


async def load_check(check_id: SubjectId, session: DbSession) -> CheckRecord:
    return await service.get_check(session, check_id=check_id)


async def load_active_check(check_id: SubjectId, session: DbSession) -> CheckRecord:
    return await service.get_check(session, check_id=check_id, active=True)


# A check by id (retired ones too, for their history), or 404.
CurrentCheck = Annotated[CheckRecord, Depends(load_check)]
# A check still in the configuration, or 404: the ones that can be operated.
ActiveCheck = Annotated[CheckRecord, Depends(load_active_check)]


@router.get("/checks", response_model=list[CheckOut], summary="Checks with their current state")
async def list_checks(
    *,
    _principal: CheckReader,
    session: DbSession,
    service_id: Annotated[str | None, Query(max_length=64)] = None,
    include_retired: bool = False,
) -> list[CheckOut]:
    rows = await service.list_checks(
        session, service_id=service_id, include_retired=include_retired
    )
    return [CheckOut.of(check, state) for check, state in rows]


@router.get("/checks/{check_id}", response_model=CheckDetailOut, summary="One check in detail")
async def read_check(
    *, _principal: CheckReader, check: CurrentCheck, session: DbSession
) -> CheckDetailOut:
    state = await service.get_check_state(session, check_id=check.id)
    baseline = await service.active_baseline(session, check_id=check.id)
    heartbeat = None
    if check.type == "heartbeat":
        record = await service.get_heartbeat(session, check_id=check.id)
        heartbeat = HeartbeatOut.of(check.id, record)
    return CheckDetailOut(
        **CheckOut.of(check, state).model_dump(),
        config=check.data,
        baseline=BaselineOut.of(baseline) if baseline else None,
        snapshot_at=state.snapshot_at if state else None,
        heartbeat=heartbeat,
    )


@router.get("/checks/{check_id}/results", response_model=ResultPage, summary="Recent results")
async def list_results(
    *,
    _principal: CheckReader,
    check: CurrentCheck,
    session: DbSession,
    span: Range,
    limit: PageSize = 100,
    before_id: BeforeId = None,
) -> ResultPage:
    rows = await service.list_results(
        session,
        check_id=check.id,
        since=span.since,
        until=span.until,
        limit=limit,
        before_id=before_id,
    )
    return ResultPage(
        results=[ResultOut.of(row) for row in rows],
        next_before_id=rows[-1].id if len(rows) == limit else None,
    )


@router.get("/checks/{check_id}/history", response_model=HistoryPage, summary="State changes")
async def check_history(
    *,
    _principal: CheckReader,
    check: CurrentCheck,
    session: DbSession,
    span: Range,
    limit: PageSize = 100,
    before_id: BeforeId = None,
) -> HistoryPage:
    return await history_page(
        session,
        subject_kind="check",
        subject_id=check.id,
        span=span,
        limit=limit,
        before_id=before_id,
    )


@router.get(
    "/checks/{check_id}/rollups", response_model=list[RollupOut], summary="Per-minute rollups"
)
async def list_rollups(
    *,
    _principal: CheckReader,
    check: CurrentCheck,
    session: DbSession,
    span: Range,
) -> list[RollupOut]:
    rows = await service.list_rollups(
        session, check_id=check.id, since=span.since, until=span.until
    )
    return [RollupOut.of(row) for row in rows]


@router.get(
    "/checks/{check_id}/availability",
    response_model=AvailabilityOut,
    summary="Availability of a check over a range (maintenance apart)",
)
async def check_availability(
    *,
    _principal: CheckReader,
    check: CurrentCheck,
    session: DbSession,
    context: Context,
    span: Range,
) -> AvailabilityOut:
    (report,) = await availability_of(
        session,
        subject_kind="check",
        subject_ids=[check.id],
        since=span.since,
        until=span.until,
        now=context.clock.now(),
    )
    return AvailabilityOut.of(report)


@router.post(
    "/checks/{check_id}/run",
    response_model=RunRequestedOut,
    status_code=202,
    summary="Run a check now (the result arrives like any other)",
)
async def run_check_now(
    *, _principal: CheckOperator, check: ActiveCheck, context: Context
) -> RunRequestedOut:
    now = context.clock.now()
    await context.bus.publish(CheckRunRequested(occurred_at=now, check_id=check.id))
    return RunRequestedOut(check_id=check.id, requested_at=now)


@router.post("/checks/{check_id}/pause", response_model=CheckOut, summary="Pause a check")
async def pause_check(
    *,
    principal: CheckOperator,
    check: ActiveCheck,
    session: DbSession,
    context: Context,
    origin: Origin,
    body: PauseIn | None = None,
) -> CheckOut:
    return await _set_paused(principal, check, session, context, origin, True, body)


@router.post("/checks/{check_id}/resume", response_model=CheckOut, summary="Resume a check")
async def resume_check(
    *,
    principal: CheckOperator,
    check: ActiveCheck,
    session: DbSession,
    context: Context,
    origin: Origin,
    body: PauseIn | None = None,
) -> CheckOut:
    return await _set_paused(principal, check, session, context, origin, False, body)


async def _set_paused(
    principal: Principal,
    check: CheckRecord,
    session: DbSession,
    context: Context,
    origin: Origin,
    paused: bool,
    body: PauseIn | None,
) -> CheckOut:
    now = context.clock.now()
    reason = body.reason if body is not None else ""
    if not reason:
        template = _("paused by %(user)s") if paused else _("resumed by %(user)s")
        reason = template % {"user": principal.username}
    state = await actions.set_check_paused(
        session,
        check_id=check.id,
        paused=paused,
        reason=reason,
        actor=Actor.from_principal(principal),
        at=now,
        origin=origin,
    )
    await session.commit()
    await context.bus.publish(
        CheckPauseChanged(occurred_at=now, check_id=check.id, paused=paused, reason=reason)
    )
    return CheckOut.of(check, state)


@router.post(
    "/checks/{check_id}/baseline",
    response_model=BaselineOut,
    status_code=201,
    summary="Approve the page the content check last saw as its baseline",
)
async def approve_baseline(
    *,
    principal: BaselineApprover,
    check: ActiveCheck,
    session: DbSession,
    context: Context,
    origin: Origin,
) -> BaselineOut:
    now = context.clock.now()
    baseline = await actions.approve_baseline(
        session, check_id=check.id, actor=Actor.from_principal(principal), at=now, origin=origin
    )
    await session.commit()
    await context.bus.publish(BaselineApproved(occurred_at=now, check_id=check.id))
    return BaselineOut.of(baseline)


@router.post(
    "/checks/{check_id}/heartbeat-token",
    response_model=HeartbeatTokenOut,
    status_code=201,
    summary="Issue a new heartbeat token (shown once; replaces the previous one)",
)
async def new_heartbeat_token(
    *,
    principal: CheckOperator,
    check: ActiveCheck,
    session: DbSession,
    context: Context,
    origin: Origin,
) -> HeartbeatTokenOut:
    if check.type != "heartbeat":
        raise ValidationFailed(_("Only heartbeat checks have a token."))
    token = await issue_heartbeat_token(
        session,
        check_id=check.id,
        actor=Actor.from_principal(principal),
        at=context.clock.now(),
        origin=origin,
    )
    await session.commit()
    return HeartbeatTokenOut(
        check_id=check.id, token=token, url_path=f"/api/v1/heartbeat/{check.id}/{token}"
    )
