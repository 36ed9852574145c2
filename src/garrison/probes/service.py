"""Reading what the engine stored: checks and services with their state, results, history."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.errors import NotFoundError, ValidationFailed
from garrison.event.models import EventRecord, ServiceRecord
from garrison.i18n import gettext as _
from garrison.probes.models import (
    BaselineRecord,
    CheckRecord,
    CheckStateRecord,
    HeartbeatRecord,
    MaintenanceRecord,
    ResultRecord,
    RollupRecord,
    ServiceStateRecord,
    StateChangeRecord,
)

MAX_PAGE = 500
MAX_ROLLUPS = 10_080  # a week of minutes


async def event_zone(session: AsyncSession) -> tzinfo:
    """The event's time zone (UTC before any event is configured)."""
    name = await session.scalar(
        select(EventRecord.timezone).where(EventRecord.retired_at.is_(None))
    )
    return ZoneInfo(name) if name else UTC


def in_zone(moment: datetime, zone: tzinfo) -> datetime:
    """A naive time is read in the event's zone; every time comes back as UTC."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


def check_range(since: datetime, until: datetime) -> None:
    if until <= since:
        raise ValidationFailed(_("The range is empty: 'since' must be before 'until'."))


async def list_checks(
    session: AsyncSession, *, service_id: str | None = None, include_retired: bool = False
) -> list[tuple[CheckRecord, CheckStateRecord | None]]:
    query = (
        select(CheckRecord, CheckStateRecord)
        .outerjoin(CheckStateRecord, CheckStateRecord.check_id == CheckRecord.id)
        .order_by(CheckRecord.id)
    )
    if service_id is not None:
        query = query.where(CheckRecord.service_id == service_id)
    if not include_retired:
        query = query.where(CheckRecord.retired_at.is_(None))
    return [(check, state) for check, state in (await session.execute(query)).all()]


async def get_check(session: AsyncSession, *, check_id: str, active: bool = False) -> CheckRecord:
    check = await session.get(CheckRecord, check_id)
    if check is None or (active and check.retired_at is not None):
        raise NotFoundError(_("There is no check with the id %(id)s.") % {"id": check_id})
    return check


async def get_check_state(session: AsyncSession, *, check_id: str) -> CheckStateRecord | None:
    return await session.get(CheckStateRecord, check_id)


async def get_heartbeat(session: AsyncSession, *, check_id: str) -> HeartbeatRecord | None:
    return await session.get(HeartbeatRecord, check_id)


async def active_baseline(session: AsyncSession, *, check_id: str) -> BaselineRecord | None:
    query = (
        select(BaselineRecord)
        .where(BaselineRecord.check_id == check_id, BaselineRecord.retired_at.is_(None))
        .order_by(BaselineRecord.id.desc())
        .limit(1)
    )
    return await session.scalar(query)


async def list_results(
    session: AsyncSession,
    *,
    check_id: str,
    since: datetime,
    until: datetime,
    limit: int,
    before_id: int | None = None,
) -> list[ResultRecord]:
    """Newest first; page with ``before_id`` (the last id of the previous page)."""
    query = (
        select(ResultRecord)
        .where(
            ResultRecord.check_id == check_id,
            ResultRecord.started_at >= since,
            ResultRecord.started_at < until,
        )
        .order_by(ResultRecord.started_at.desc(), ResultRecord.id.desc())
        .limit(min(limit, MAX_PAGE))
    )
    if before_id is not None:
        boundary = await session.get(ResultRecord, before_id)
        if boundary is not None:
            query = query.where(
                (ResultRecord.started_at < boundary.started_at)
                | ((ResultRecord.started_at == boundary.started_at) & (ResultRecord.id < before_id))
            )
    return list((await session.scalars(query)).all())


async def list_changes(
    session: AsyncSession,
    *,
    subject_kind: str,
    subject_id: str,
    since: datetime,
    until: datetime,
    limit: int,
    before_id: int | None = None,
) -> list[StateChangeRecord]:
    """State history of one check or service, newest first."""
    query = (
        select(StateChangeRecord)
        .where(
            StateChangeRecord.subject_kind == subject_kind,
            StateChangeRecord.subject_id == subject_id,
            StateChangeRecord.at >= since,
            StateChangeRecord.at < until,
        )
        .order_by(StateChangeRecord.id.desc())
        .limit(min(limit, MAX_PAGE))
    )
    if before_id is not None:
        query = query.where(StateChangeRecord.id < before_id)
    return list((await session.scalars(query)).all())


async def list_rollups(
    session: AsyncSession, *, check_id: str, since: datetime, until: datetime
) -> list[RollupRecord]:
    query = (
        select(RollupRecord)
        .where(
            RollupRecord.check_id == check_id,
            RollupRecord.minute >= since.replace(second=0, microsecond=0),
            RollupRecord.minute < until,
        )
        .order_by(RollupRecord.minute, RollupRecord.location)
        .limit(MAX_ROLLUPS)
    )
    return list((await session.scalars(query)).all())


async def list_service_states(
    session: AsyncSession,
) -> list[tuple[ServiceRecord, ServiceStateRecord | None]]:
    query = (
        select(ServiceRecord, ServiceStateRecord)
        .outerjoin(ServiceStateRecord, ServiceStateRecord.service_id == ServiceRecord.id)
        .where(ServiceRecord.retired_at.is_(None))
        .order_by(ServiceRecord.id)
    )
    return [(service, state) for service, state in (await session.execute(query)).all()]


async def checks_by_service(session: AsyncSession) -> dict[str, dict[str, str]]:
    """service id -> {check id: current state} for the active checks."""
    found: dict[str, dict[str, str]] = {}
    for check, state in await list_checks(session):
        if check.service_id is not None:
            found.setdefault(check.service_id, {})[check.id] = state.state if state else "unknown"
    return found


async def get_service(session: AsyncSession, *, service_id: str) -> ServiceRecord:
    service = await session.get(ServiceRecord, service_id)
    if service is None:
        raise NotFoundError(_("There is no service with the id %(id)s.") % {"id": service_id})
    return service


async def list_windows(
    session: AsyncSession, *, include_retired: bool = False
) -> list[MaintenanceRecord]:
    query = select(MaintenanceRecord).order_by(MaintenanceRecord.created_at, MaintenanceRecord.id)
    if not include_retired:
        query = query.where(MaintenanceRecord.retired_at.is_(None))
    return list((await session.scalars(query)).all())


async def get_window(session: AsyncSession, *, window_id: str) -> MaintenanceRecord:
    window = await session.get(MaintenanceRecord, window_id)
    if window is None:
        raise NotFoundError(
            _("There is no maintenance window with the id %(id)s.") % {"id": window_id}
        )
    return window
