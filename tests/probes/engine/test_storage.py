"""Storage: batched results, per-minute rollups, retention, availability from history."""

from __future__ import annotations

import asyncio
import math
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from garrison.probes.availability import availability_of
from garrison.probes.engine import Judgement
from garrison.probes.models import ResultRecord, RollupRecord, StateChangeRecord
from garrison.probes.rollups import LATENCY_BOUNDS_MS, Rollup
from garrison.probes.worker import ProbeRetentionWorker
from garrison.probes.writer import ResultWriter
from garrison.runtime.context import AppContext
from tests.probes.engine.factories import WAIT_SECONDS, clock_of, result

T0 = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)


def writer_for(context: AppContext) -> ResultWriter:
    return ResultWriter(sessions=context.sessions, bus=context.bus, clock=context.clock)


async def write_all(writer: ResultWriter, items: list[tuple[str, float, bool, float]]) -> None:
    """(check, seconds after T0, ok, latency) — submitted and written as one batch."""
    for check_id, seconds, ok, latency in items:
        writer.submit(
            check_id, result(ok, T0 + timedelta(seconds=seconds), latency_ms=latency), Judgement()
        )
    await writer.write_batch()


async def test_results_and_rollups_per_minute(context: AppContext) -> None:
    writer = writer_for(context)
    latencies = [3.0, 7.0, 15.0, 40.0, 90.0, 180.0, 450.0, 900.0, 1500.0, 30.0]
    first = [("web", n * 5.0, n % 4 != 3, latency) for n, latency in enumerate(latencies)]
    await write_all(writer, first)
    # A second batch adds to the same minute, and opens the next one.
    await write_all(writer, [("web", 55.0, False, 5000.0), ("web", 61.0, True, 2.0)])
    async with context.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ResultRecord)) == 12
        rows = (await session.scalars(select(RollupRecord).order_by(RollupRecord.minute))).all()
    assert [row.minute for row in rows] == [T0, T0 + timedelta(minutes=1)]
    minute = Rollup.of(rows[0])
    values = [*latencies, 5000.0]
    assert minute.count == 11
    assert minute.failures == 3  # n = 3 and 7, and the second batch's failure
    assert minute.latency_min == min(values)
    assert minute.latency_max == max(values)
    assert minute.latency_avg is not None
    assert math.isclose(minute.latency_avg, sum(values) / len(values))
    # The true p95 (nearest rank) lies in a bucket; the approximation is that bucket's bound.
    true_p95 = sorted(values)[math.ceil(0.95 * len(values)) - 1]
    bound = next(b for b in LATENCY_BOUNDS_MS if true_p95 <= b)
    assert minute.latency_p95 == min(float(bound), max(values))
    assert (rows[1].count, rows[1].failures) == (1, 0)


async def test_retention_deletes_old_results_only(context: AppContext) -> None:
    writer = writer_for(context)
    await write_all(writer, [("web", seconds, True, 5.0) for seconds in range(0, 600, 60)])
    clock = clock_of(context)
    clock.advance((T0 - clock.now()).total_seconds() + 7 * 86400 + 300)
    worker = ProbeRetentionWorker(context, retention_days=7)
    # Everything older than 7 days: the results from T0 to T0 + 5 min (exclusive).
    assert await worker.run_once() == 5
    async with context.sessions() as session:
        kept = (await session.scalars(select(ResultRecord.started_at))).all()
        rollups = await session.scalar(select(func.count()).select_from(RollupRecord))
    assert sorted(kept) == [T0 + timedelta(minutes=m) for m in range(5, 10)]
    assert rollups == 10  # rollups are kept for the whole event
    assert await worker.run_once() == 0


def change(
    kind: str,
    subject: str,
    minutes: float,
    previous: str,
    current: str,
    *,
    caused_by: str | None = None,
    in_maintenance: bool = False,
) -> StateChangeRecord:
    return StateChangeRecord(
        subject_kind=kind,
        subject_id=subject,
        at=T0 + timedelta(minutes=minutes),
        previous=previous,
        current=current,
        measured=current,
        in_maintenance=in_maintenance,
        caused_by=caused_by,
        reason="",
        evidence=[],
    )


async def test_service_availability_excludes_maintenance_and_attributes_unreachable(
    context: AppContext,
) -> None:
    history = [
        change("service", "portal", -60, "unknown", "up"),
        change("service", "portal", 30, "up", "down"),
        change("service", "portal", 45, "down", "up"),
        change("service", "portal", 60, "up", "maintenance", in_maintenance=True),
        change("service", "portal", 90, "maintenance", "up"),
        change("service", "portal", 100, "up", "unreachable", caused_by="switch"),
        change("service", "portal", 110, "unreachable", "up"),
    ]
    async with context.sessions() as session:
        session.add_all(history)
        await session.commit()
        (report,) = await availability_of(
            session,
            subject_kind="service",
            subject_ids=["portal"],
            since=T0,
            until=T0 + timedelta(hours=2),
            now=T0 + timedelta(days=1),
        )
    # By hand: up 30 + 15 + 10 + 10 = 65 min, down 15, unreachable 10, maintenance 30.
    assert report.seconds == {"up": 65 * 60, "down": 15 * 60, "unreachable": 10 * 60}
    assert report.maintenance_seconds == 30 * 60
    assert report.percent is not None
    assert math.isclose(report.percent, 65 / 90 * 100)
    assert report.outages == 1
    assert report.unreachable_causes == {"switch": 600}


async def test_a_range_starting_mid_outage_and_ending_in_the_future(context: AppContext) -> None:
    async with context.sessions() as session:
        session.add_all(
            [
                change("service", "dns", 0, "unknown", "up"),
                change("service", "dns", 30, "up", "down"),
            ]
        )
        await session.commit()
        (report,) = await availability_of(
            session,
            subject_kind="service",
            subject_ids=["dns"],
            since=T0 + timedelta(minutes=40),
            until=T0 + timedelta(hours=5),
            now=T0 + timedelta(minutes=50),
        )
        (unknown,) = await availability_of(
            session,
            subject_kind="service",
            subject_ids=["nothing-yet"],
            since=T0,
            until=T0 + timedelta(hours=1),
            now=T0 + timedelta(hours=2),
        )
    # DOWN carried in from before the range; the future is not counted.
    assert report.seconds == {"down": 600}
    assert report.percent == 0
    assert report.outages == 0  # it began before the range
    assert unknown.percent is None
    assert unknown.unmeasured_seconds == 3600


async def test_check_availability_adds_runs_from_rollups_outside_maintenance(
    context: AppContext,
) -> None:
    writer = writer_for(context)
    # Minute 0: 4 runs, 1 failed. Minute 2 is in maintenance: 2 runs, both failed.
    await write_all(
        writer,
        [
            ("ping", 0, True, 10.0),
            ("ping", 15, True, 20.0),
            ("ping", 30, False, 30.0),
            ("ping", 45, True, 40.0),
            ("ping", 120, False, 50.0),
            ("ping", 150, False, 60.0),
        ],
    )
    async with context.sessions() as session:
        session.add_all(
            [
                change("check", "ping", 0, "unknown", "up"),
                change("check", "ping", 2, "up", "up", in_maintenance=True),
                change("check", "ping", 3, "up", "up"),
            ]
        )
        await session.commit()
        (report,) = await availability_of(
            session,
            subject_kind="check",
            subject_ids=["ping"],
            since=T0,
            until=T0 + timedelta(minutes=4),
            now=T0 + timedelta(hours=1),
        )
    assert report.seconds == {"up": 180}
    assert report.maintenance_seconds == 60
    assert (report.runs, report.failed_runs) == (4, 1)
    assert report.success_percent == 75
    assert report.latency_avg_ms == 25


async def test_a_full_queue_drops_results_and_counts_them(context: AppContext) -> None:
    writer = ResultWriter(
        sessions=context.sessions, bus=context.bus, clock=context.clock, queue_size=2
    )
    for second in range(5):
        writer.submit("web", result(True, T0 + timedelta(seconds=second)), Judgement())
    assert writer.dropped == 3
    task = asyncio.create_task(writer.run())
    try:
        async with asyncio.timeout(WAIT_SECONDS):
            await writer.wait_written(2)
    finally:
        task.cancel()
    async with context.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ResultRecord)) == 2
