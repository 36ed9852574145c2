"""Services over HTTP: every service's state, a service's history and availability."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from garrison.auth.dependencies import require
from garrison.auth.permissions import Permission
from garrison.auth.principal import Principal
from garrison.probes import service
from garrison.probes.availability import availability_of
from garrison.probes.ranges import BeforeId, PageSize, Range, history_page
from garrison.probes.schemas import AvailabilityOut, HistoryPage, ServiceStateOut
from garrison.web.dependencies import Context, DbSession

router = APIRouter(tags=["probes"])

CheckReader = Annotated[Principal, Depends(require(Permission.CHECK_READ))]
SubjectId = Annotated[str, Path(max_length=64)]


@router.get(
    "/services/state", response_model=list[ServiceStateOut], summary="Every service's state"
)
async def service_states(*, _principal: CheckReader, session: DbSession) -> list[ServiceStateOut]:
    checks = await service.checks_by_service(session)
    return [
        ServiceStateOut(
            id=record.id,
            name=record.name,
            kind=record.kind,
            criticality=record.criticality,
            state=state.state if state else "unknown",
            measured=state.measured if state else "unknown",
            since=state.since if state else None,
            caused_by=state.caused_by if state else None,
            in_maintenance=state.in_maintenance if state else False,
            reason=state.reason if state else "",
            checks=checks.get(record.id, {}),
        )
        for record, state in await service.list_service_states(session)
    ]


@router.get(
    "/services/{service_id}/history", response_model=HistoryPage, summary="Service state changes"
)
async def service_history(
    *,
    _principal: CheckReader,
    service_id: SubjectId,
    session: DbSession,
    span: Range,
    limit: PageSize = 100,
    before_id: BeforeId = None,
) -> HistoryPage:
    await service.get_service(session, service_id=service_id)
    return await history_page(
        session,
        subject_kind="service",
        subject_id=service_id,
        span=span,
        limit=limit,
        before_id=before_id,
    )


@router.get(
    "/services/{service_id}/availability",
    response_model=AvailabilityOut,
    summary="Availability of a service over a range (maintenance apart)",
)
async def service_availability(
    *,
    _principal: CheckReader,
    service_id: SubjectId,
    session: DbSession,
    context: Context,
    span: Range,
) -> AvailabilityOut:
    await service.get_service(session, service_id=service_id)
    (report,) = await availability_of(
        session,
        subject_kind="service",
        subject_ids=[service_id],
        since=span.since,
        until=span.until,
        now=context.clock.now(),
    )
    return AvailabilityOut.of(report)


@router.get(
    "/availability",
    response_model=list[AvailabilityOut],
    summary="Availability of every service over a range",
)
async def all_availability(
    *,
    _principal: CheckReader,
    session: DbSession,
    context: Context,
    span: Range,
) -> list[AvailabilityOut]:
    services = [record.id for record, _state in await service.list_service_states(session)]
    reports = await availability_of(
        session,
        subject_kind="service",
        subject_ids=services,
        since=span.since,
        until=span.until,
        now=context.clock.now(),
    )
    return [AvailabilityOut.of(report) for report in reports]
