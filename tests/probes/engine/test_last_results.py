"""Last results held in memory: news stored with its batch, the rest every few seconds."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from garrison.probes.engine import Judgement
from garrison.probes.last_results import LastResults
from garrison.probes.models import CheckStateRecord, ResultRecord
from garrison.probes.writer import ResultWriter
from garrison.runtime.context import AppContext
from tests.probes.engine.factories import WAIT_SECONDS, result

T0 = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_a_new_outcome_is_taken_at_once_the_same_one_when_due() -> None:
    last = LastResults(flush_seconds=10)
    last.add("web", result(True, at(0)))
    assert [check for check, _ in last.take(100.0)] == ["web"]  # never stored: taken
    last.add("web", result(True, at(5), latency_ms=12.0))
    assert last.take(101.0) == []  # the same outcome: waits
    assert last.due_in(101.0) == 9.0
    last.add("web", result(True, at(10), latency_ms=14.0))
    taken = last.take(110.0)  # due: stored, the newest only
    assert [(check, r.started_at, r.latency_ms) for check, r in taken] == [("web", at(10), 14.0)]
    assert last.due_in(110.0) is None
    last.add("web", result(False, at(15)))
    last.add("db", result(True, at(15)))
    assert sorted(check for check, _ in last.take(111.0)) == ["db", "web"]  # failed; new


def test_an_older_result_does_not_replace_a_newer_one_and_everything_takes_all() -> None:
    last = LastResults(flush_seconds=60)
    last.add("web", result(True, at(0)))
    last.take(1.0)
    last.add("web", result(True, at(20), reason=""))
    last.add("web", result(False, at(10)))  # late: older than what waits
    assert last.take(2.0) == []  # the newest (passing) is no news
    taken = last.take(3.0, everything=True)
    assert [(check, r.started_at) for check, r in taken] == [("web", at(20))]
    last.add("web", result(True, at(25), details={"snapshot": {"text": "page"}}))
    assert len(last.take(4.0)) == 1  # a content snapshot is always stored


def test_news_undone_before_the_batch_waits_and_quiet_checks_are_not_taken() -> None:
    last = LastResults(flush_seconds=60)
    for check in ("web", "db", "dns"):
        last.add(check, result(True, at(0)))
    assert len(last.take(1.0)) == 3
    last.add("web", result(False, at(5)))  # news...
    last.add("web", result(True, at(10)))  # ...undone: the row already says this
    last.add("db", result(True, at(10)))
    last.add("dns", result(False, at(10)))
    assert [check for check, _ in last.take(2.0)] == ["dns"]
    assert last.take(3.0) == []  # taken news is not taken again
    assert sorted((check, r.started_at) for check, r in last.take(61.0)) == [
        ("db", at(10)),
        ("web", at(10)),
    ]


async def test_rows_show_news_with_its_batch_and_times_stay_utc(context: AppContext) -> None:
    async with context.sessions() as session:
        for check_id in ("web", "db"):
            session.add(
                CheckStateRecord(check_id=check_id, state="unknown", since=T0, updated_at=T0)
            )
        await session.commit()
    writer = ResultWriter(
        sessions=context.sessions,
        bus=context.bus,
        clock=context.clock,
        linger_seconds=0,
        last_results=LastResults(flush_seconds=3600),
    )
    odd = {"status": 200, "when": at(1), "big": "x" * 20_000}
    writer.submit("web", result(True, at(1), details={"small": odd["status"]}), Judgement())
    writer.submit("db", result(True, at(1)), Judgement())
    await writer.write_batch()  # a flush: every last result stored
    writer.submit("web", result(True, at(6), latency_ms=99.0), Judgement())
    writer.submit("db", result(False, at(6), reason="refused", details=odd), Judgement())
    task = asyncio.create_task(writer.run())  # ordinary batches from now on
    try:
        async with asyncio.timeout(WAIT_SECONDS):
            await writer.wait_written(4)
    finally:
        task.cancel()
    async with context.sessions() as session:
        rows = {row.check_id: row for row in (await session.scalars(select(CheckStateRecord)))}
        stored = list(await session.scalars(select(ResultRecord).order_by(ResultRecord.id)))
    # The failure is news: in its batch. The passing run is not: the row keeps the earlier one.
    assert (rows["db"].last_ok, rows["db"].last_reason, rows["db"].last_result_at) == (
        False,
        "refused",
        at(6),
    )
    assert (rows["web"].last_ok, rows["web"].last_result_at, rows["web"].last_latency_ms) == (
        True,
        at(1),
        10.0,
    )
    # Raw results: every run, times timezone-aware UTC, JSON bounded on every backend.
    assert [(r.check_id, r.started_at, r.ok) for r in stored] == [
        ("web", at(1), True),
        ("db", at(1), True),
        ("web", at(6), True),
        ("db", at(6), False),
    ]
    assert all(r.started_at.utcoffset() == timedelta(0) for r in stored)
    assert stored[0].details == {"small": 200}
    assert stored[0].phases == {}
    assert stored[3].details["_truncated"] is True
    await writer.write_batch()  # as a flush does: every last result waiting is stored
    async with context.sessions() as session:
        web = await session.get(CheckStateRecord, "web")
    assert web is not None
    assert (web.last_result_at, web.last_latency_ms) == (at(6), 99.0)


async def test_odd_values_in_details_are_stored_as_text(context: AppContext) -> None:
    writer = ResultWriter(sessions=context.sessions, bus=context.bus, clock=context.clock)
    writer.submit("web", result(False, at(2), details={"when": at(2), "n": 1.5}), Judgement())
    await writer.write_batch()
    async with context.sessions() as session:
        stored = await session.scalar(select(ResultRecord))
    assert stored is not None
    assert stored.details == {"when": str(at(2)), "n": 1.5}
