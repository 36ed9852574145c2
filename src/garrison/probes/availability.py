"""Availability of checks and services over any time range.

From the state history: the range is cut into periods of one state each; the
time in maintenance (a service in MAINTENANCE, a check covered by a window) is
set apart and reported on its own, as is time not measured (UNKNOWN, PAUSED, or
before the first result). Then::

    percent = (UP + DEGRADED) / (UP + DEGRADED + DOWN + UNREACHABLE + FLAPPING) * 100

A service UNREACHABLE was unavailable to its users, so it counts against it, but
the time is attributed to the root cause (``unreachable_causes``) and it is not
one of the service's own ``outages`` (entries into DOWN). FLAPPING counts as
unavailable: an intermittent service cannot be relied on.

For checks, the per-minute rollups add what the runs saw: runs, failed runs and
latency, minutes in maintenance left out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.probes.models import RollupRecord, StateChangeRecord
from garrison.probes.rollups import Rollup
from garrison.probes.states import ServiceState

AVAILABLE = frozenset({"up", "degraded"})
UNAVAILABLE = frozenset({"down", "unreachable", "flapping"})


@dataclass(frozen=True, slots=True)
class Period:
    start: datetime
    end: datetime
    state: str
    in_maintenance: bool
    caused_by: str | None

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()

    @property
    def maintenance(self) -> bool:
        return self.in_maintenance or self.state == ServiceState.MAINTENANCE.value


@dataclass(slots=True)
class Availability:
    subject_kind: str
    subject_id: str
    since: datetime
    until: datetime
    seconds: dict[str, float] = field(default_factory=dict)
    maintenance_seconds: float = 0.0
    unmeasured_seconds: float = 0.0
    percent: float | None = None
    outages: int = 0
    unreachable_causes: dict[str, float] = field(default_factory=dict)
    runs: int | None = None
    failed_runs: int | None = None
    success_percent: float | None = None
    latency_avg_ms: float | None = None
    latency_p95_ms: float | None = None


def periods_of(
    changes: Sequence[StateChangeRecord], *, since: datetime, until: datetime
) -> list[Period]:
    """Cut [since, until) by the changes (oldest first; earlier ones give the starting state)."""
    state, in_maintenance, caused_by = "unknown", False, None
    cursor = since
    periods: list[Period] = []
    for change in changes:
        if change.at >= until:
            break
        if change.at > cursor:
            periods.append(Period(cursor, change.at, state, in_maintenance, caused_by))
            cursor = change.at
        state, in_maintenance, caused_by = change.current, change.in_maintenance, change.caused_by
    if until > cursor:
        periods.append(Period(cursor, until, state, in_maintenance, caused_by))
    return periods


def summarise(
    subject_kind: str,
    subject_id: str,
    changes: Sequence[StateChangeRecord],
    *,
    since: datetime,
    until: datetime,
) -> Availability:
    report = Availability(subject_kind, subject_id, since, until)
    seconds: dict[str, float] = defaultdict(float)
    for period in periods_of(changes, since=since, until=until):
        if period.maintenance:
            report.maintenance_seconds += period.seconds
        elif period.state in AVAILABLE or period.state in UNAVAILABLE:
            seconds[period.state] += period.seconds
            if period.state == "unreachable" and period.caused_by is not None:
                causes = report.unreachable_causes
                causes[period.caused_by] = causes.get(period.caused_by, 0.0) + period.seconds
        else:
            report.unmeasured_seconds += period.seconds
    report.seconds = dict(seconds)
    available = sum(seconds[state] for state in AVAILABLE)
    measured = available + sum(seconds[state] for state in UNAVAILABLE)
    report.percent = available / measured * 100 if measured > 0 else None
    report.outages = sum(
        1
        for change in changes
        if since <= change.at < until
        and change.current == "down"
        and change.previous != "down"
        and not change.in_maintenance
    )
    return report


async def history_until(
    session: AsyncSession, *, subject_kind: str, subject_id: str | None, until: datetime
) -> dict[str, list[StateChangeRecord]]:
    """Every change before ``until`` per subject, oldest first."""
    query = (
        select(StateChangeRecord)
        .where(StateChangeRecord.subject_kind == subject_kind, StateChangeRecord.at < until)
        .order_by(StateChangeRecord.at, StateChangeRecord.id)
    )
    if subject_id is not None:
        query = query.where(StateChangeRecord.subject_id == subject_id)
    found: dict[str, list[StateChangeRecord]] = defaultdict(list)
    for change in (await session.scalars(query)).all():
        found[change.subject_id].append(change)
    return found


async def availability_of(
    session: AsyncSession,
    *,
    subject_kind: str,
    subject_ids: Iterable[str],
    since: datetime,
    until: datetime,
    now: datetime,
) -> list[Availability]:
    """Availability of several checks or services (``subject_kind``) over [since, until)."""
    until = min(until, now)
    since = min(since, until)
    wanted = list(subject_ids)
    history = await history_until(
        session,
        subject_kind=subject_kind,
        subject_id=wanted[0] if len(wanted) == 1 else None,
        until=until,
    )
    reports = [
        summarise(subject_kind, subject_id, history.get(subject_id, []), since=since, until=until)
        for subject_id in wanted
    ]
    if subject_kind == "check":
        for report in reports:
            await _add_runs(session, report, history.get(report.subject_id, []))
    return reports


async def _add_runs(
    session: AsyncSession, report: Availability, changes: Sequence[StateChangeRecord]
) -> None:
    maintenance = [
        period
        for period in periods_of(changes, since=report.since, until=report.until)
        if period.maintenance
    ]
    query = select(RollupRecord).where(
        RollupRecord.check_id == report.subject_id,
        RollupRecord.minute >= report.since.replace(second=0, microsecond=0),
        RollupRecord.minute < report.until,
    )
    total = Rollup()
    for record in (await session.scalars(query)).all():
        if any(period.start <= record.minute < period.end for period in maintenance):
            continue
        total.merge(Rollup.of(record))
    report.runs = total.count
    report.failed_runs = total.failures
    if total.count:
        report.success_percent = (total.count - total.failures) / total.count * 100
    report.latency_avg_ms = total.latency_avg
    report.latency_p95_ms = total.latency_p95
