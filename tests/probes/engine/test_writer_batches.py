"""The batch writer under load: rollups held in memory per minute, backlogs taken whole."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from garrison.probes.engine import CheckChange, Judgement
from garrison.probes.events import CheckStateChanged
from garrison.probes.models import ResultRecord, RollupRecord
from garrison.probes.states import CheckState
from garrison.probes.writer import ResultWriter
from garrison.runtime.context import AppContext
from tests.probes.engine.factories import WAIT_SECONDS, result

T0 = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)


@pytest.fixture
async def running(context: AppContext) -> AsyncIterator[ResultWriter]:
    writer = ResultWriter(
        sessions=context.sessions, bus=context.bus, clock=context.clock, linger_seconds=0
    )
    task = asyncio.create_task(writer.run())
    yield writer
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def stored_rollups(context: AppContext) -> dict[datetime, tuple[int, int]]:
    async with context.sessions() as session:
        rows = (await session.scalars(select(RollupRecord))).all()
    return {row.minute: (row.count, row.failures) for row in rows}


async def test_a_minute_is_stored_once_over_and_the_open_one_on_flush(
    context: AppContext, running: ResultWriter
) -> None:
    writer = running
    for second in (0, 20, 40):
        writer.submit("web", result(second != 20, T0 + timedelta(seconds=second)), Judgement())
    async with asyncio.timeout(WAIT_SECONDS):
        await writer.wait_written(3)
    # Results are stored at once; the minute still open is held in memory.
    async with context.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ResultRecord)) == 3
    assert await stored_rollups(context) == {}
    # A result of the next minute closes the first: it is stored without a flush.
    writer.submit("web", result(True, T0 + timedelta(seconds=65)), Judgement())
    async with asyncio.timeout(WAIT_SECONDS):
        await writer.wait_written(4)
    assert await stored_rollups(context) == {T0: (3, 1)}
    # A late run of the first minute is merged into its stored row; flush stores the rest.
    writer.submit("web", result(False, T0 + timedelta(seconds=59)), Judgement())
    async with asyncio.timeout(WAIT_SECONDS):
        await writer.flush()
    assert await stored_rollups(context) == {T0: (4, 2), T0 + timedelta(minutes=1): (1, 0)}
    async with asyncio.timeout(WAIT_SECONDS):
        await writer.flush()  # nothing left: returns at once


async def test_a_backlog_is_written_in_large_batches_and_nothing_dropped(
    context: AppContext,
) -> None:
    writer = ResultWriter(
        sessions=context.sessions,
        bus=context.bus,
        clock=context.clock,
        batch_size=10,
        max_batch_size=400,
        queue_size=1_000,
    )
    for index in range(1_200):
        writer.submit(f"check-{index % 50}", result(True, T0), Judgement())
    # Only what is past the bound of memory is dropped (and counted).
    assert writer.dropped == 200
    batches = 0
    while writer.pending:
        await writer.write_batch()
        batches += 1
    assert batches == 3  # 1,000 waiting results: batches of 400, not 100 batches of 10
    async with context.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ResultRecord)) == 1_000
        assert await session.scalar(select(func.sum(RollupRecord.count))) == 1_000


async def test_a_quiet_batch_lingers_and_a_state_change_ends_the_wait(context: AppContext) -> None:
    linger = 30.0
    writer = ResultWriter(
        sessions=context.sessions, bus=context.bus, clock=context.clock, linger_seconds=linger
    )
    changes = context.bus.subscribe(CheckStateChanged, consumer="test")
    task = asyncio.create_task(writer.run())
    try:
        writer.submit("web", result(True, T0), Judgement())
        await asyncio.sleep(0.3)
        assert writer.results_written == 0  # nothing new: waiting for company
        down = CheckChange(
            check_id="web",
            service_id=None,
            previous=CheckState.UP,
            current=CheckState.DOWN,
            at=T0 + timedelta(seconds=5),
            reason="scripted failure",
            in_maintenance=False,
        )
        writer.submit("web", result(False, T0 + timedelta(seconds=5)), Judgement(checks=[down]))
        async with asyncio.timeout(WAIT_SECONDS):  # far less than the linger
            await writer.wait_written(2)
            published = await anext(aiter(changes))
        assert (published.check_id, published.current) == ("web", "down")
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await changes.close()
