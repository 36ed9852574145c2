"""What the service pages show, gathered through the probes domain's own service functions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from garrison.console.service_charts import (
    Band,
    DiffLine,
    LatencyChart,
    bands_of,
    latency_chart,
    page_diff,
)
from garrison.event import service as event_service
from garrison.event.models import EventRecord, ServiceRecord
from garrison.probes import service as probes
from garrison.probes.availability import (
    Availability,
    availability_of,
    history_until,
    periods_of,
    summarise,
)
from garrison.probes.models import BaselineRecord, CheckRecord, CheckStateRecord, ServiceStateRecord

MAX_DAYS = 31
HISTORY_HOURS = (6, 24, 72, 168)


@dataclass(frozen=True, slots=True)
class ContentReview:
    baseline: BaselineRecord | None
    snapshot_at: datetime | None
    diff: list[DiffLine]
    cut_short: bool
    has_snapshot: bool


@dataclass(frozen=True, slots=True)
class CheckRow:
    check: CheckRecord
    state: CheckStateRecord | None
    content: ContentReview | None


@dataclass(frozen=True, slots=True)
class DayAvailability:
    day: date
    report: Availability


@dataclass(frozen=True, slots=True)
class ServiceDetail:
    service: ServiceRecord
    state: ServiceStateRecord | None
    since: datetime
    until: datetime
    bands: list[Band]
    latency: LatencyChart
    window: Availability | None
    days: list[DayAvailability]
    checks: list[CheckRow]


def _zone(event: EventRecord | None) -> tzinfo:
    return ZoneInfo(event.timezone) if event else UTC


async def _state_of(session: AsyncSession, service_id: str) -> ServiceStateRecord | None:
    return await session.get(ServiceStateRecord, service_id)


async def list_services(
    session: AsyncSession, *, now: datetime
) -> tuple[list[tuple[ServiceRecord, ServiceStateRecord | None]], dict[str, Availability]]:
    """Every service with its state, and its availability over the event window so far."""
    rows = await probes.list_service_states(session)
    event = await event_service.find_event(session)
    reports: dict[str, Availability] = {}
    if event is not None and rows:
        found = await availability_of(
            session,
            subject_kind="service",
            subject_ids=[record.id for record, _state in rows],
            since=event.starts_at,
            until=event.ends_at,
            now=now,
        )
        reports = {report.subject_id: report for report in found}
    return rows, reports


def _days(event: EventRecord, now: datetime) -> list[tuple[date, datetime, datetime]]:
    zone = _zone(event)
    last = min(event.ends_at, now)
    day = event.starts_at.astimezone(zone).date()
    spans: list[tuple[date, datetime, datetime]] = []
    while len(spans) < MAX_DAYS:
        start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
        if start >= last:
            break
        end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
        spans.append((day, max(start, event.starts_at), min(end, last)))
        day += timedelta(days=1)
    return spans


async def _content_review(
    session: AsyncSession, check: CheckRecord, state: CheckStateRecord | None
) -> ContentReview:
    baseline = await probes.active_baseline(session, check_id=check.id)
    snapshot: Any = state.snapshot if state is not None else None
    text = snapshot.get("text") if isinstance(snapshot, dict) else None
    if not isinstance(text, str):
        return ContentReview(baseline, None, [], False, has_snapshot=False)
    diff, cut = page_diff(baseline.text if baseline else "", text)
    return ContentReview(baseline, state.snapshot_at if state else None, diff, cut, True)


async def service_detail(
    session: AsyncSession, *, service_id: str, now: datetime, hours: int
) -> ServiceDetail:
    record = await probes.get_service(session, service_id=service_id)
    since = now - timedelta(hours=hours)
    history = await history_until(session, subject_kind="service", subject_id=record.id, until=now)
    changes = history.get(record.id, [])
    checks = await probes.list_checks(session, service_id=record.id)
    rollups = [
        rollup
        for check, _state in checks
        for rollup in await probes.list_rollups(session, check_id=check.id, since=since, until=now)
    ]
    event = await event_service.find_event(session)
    window: Availability | None = None
    days: list[DayAvailability] = []
    if event is not None:
        window = summarise(
            "service", record.id, changes, since=event.starts_at, until=min(event.ends_at, now)
        )
        days = [
            DayAvailability(day, summarise("service", record.id, changes, since=start, until=end))
            for day, start, end in _days(event, now)
        ]
    rows = [
        CheckRow(
            check=check,
            state=state,
            content=await _content_review(session, check, state)
            if check.type == "content"
            else None,
        )
        for check, state in checks
    ]
    return ServiceDetail(
        service=record,
        state=await _state_of(session, record.id),
        since=since,
        until=now,
        bands=bands_of(periods_of(changes, since=since, until=now), since=since, until=now),
        latency=latency_chart(rollups, since=since, until=now),
        window=window,
        days=days,
        checks=rows,
    )
