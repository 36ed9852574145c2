"""In-process SQLite writers take turns (FIFO), and a task never waits for itself."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from garrison.storage.engine import create_engine, create_session_factory, reading
from garrison.storage.sqlite_writes import WriterSelfDeadlock

FLOOD_WRITES = 20

_metadata = MetaData()
_rows = Table(
    "test_rows",
    _metadata,
    Column("id", Integer, primary_key=True),
    Column("writer", String(16), nullable=False),
)


async def _engine(tmp_path: Path) -> AsyncEngine:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'queue.db'}")
    async with engine.begin() as connection:
        await connection.run_sync(_metadata.create_all)
    return engine


async def _count(engine: AsyncEngine, writer: str) -> int:
    async with engine.connect() as connection:
        value = await connection.scalar(
            select(func.count()).select_from(_rows).where(_rows.c.writer == writer)
        )
    return int(value or 0)


async def test_a_writer_waiting_is_served_before_the_holder_writes_again(
    tmp_path: Path,
) -> None:
    engine = await _engine(tmp_path)
    sessions = create_session_factory(engine)
    commits: list[str] = []
    holding = asyncio.Event()
    victim_queued = asyncio.Event()

    async def write(writer: str, *, work: float) -> None:
        async with sessions() as session:
            await session.execute(insert(_rows).values(writer=writer))
            if writer == "flood-0":
                holding.set()
                await victim_queued.wait()
            await asyncio.sleep(work)
            await session.commit()
        commits.append(writer)

    async def flood() -> None:
        # Commits and begins again at once, as the signal intake does under a flood.
        for index in range(FLOOD_WRITES):
            await write(f"flood-{index}", work=0.005)

    async def victim() -> None:
        await holding.wait()
        queued = asyncio.create_task(write("victim", work=0))
        # Long enough for the victim to reach BEGIN (and, without the queue, to fall
        # into SQLite's busy handler, whose sleeps grow to 100 ms).
        await asyncio.sleep(0.2)
        victim_queued.set()
        await queued

    try:
        async with asyncio.timeout(30):
            await asyncio.gather(flood(), victim())
    finally:
        await engine.dispose()
    # First come, first served: the victim's turn comes right after the holder's.
    assert commits.index("victim") == 1, commits


async def test_a_task_beginning_a_second_write_fails_at_once(tmp_path: Path) -> None:
    engine = await _engine(tmp_path)
    sessions = create_session_factory(engine)
    try:
        async with sessions() as first:
            await first.execute(insert(_rows).values(writer="first"))
            started = time.monotonic()
            async with sessions() as second:
                with pytest.raises(WriterSelfDeadlock):
                    await second.execute(insert(_rows).values(writer="second"))
            assert time.monotonic() - started < 5.0
            # Reads on another connection do not need the write lock.
            async with sessions() as reader:
                reading(reader)
                assert await reader.scalar(select(func.count()).select_from(_rows)) == 0
            await first.commit()
        # Once the first commits, the same task writes again.
        async with sessions() as third:
            await third.execute(insert(_rows).values(writer="third"))
            await third.commit()
        assert await _count(engine, "first") == 1
        assert await _count(engine, "third") == 1
    finally:
        await engine.dispose()


async def test_a_cancelled_writer_gives_its_turn_back(tmp_path: Path) -> None:
    engine = await _engine(tmp_path)
    sessions = create_session_factory(engine)
    holding = asyncio.Event()

    async def hold_forever() -> None:
        async with sessions() as session:
            await session.execute(insert(_rows).values(writer="cancelled"))
            holding.set()
            await asyncio.Event().wait()

    try:
        task = asyncio.create_task(hold_forever())
        async with asyncio.timeout(5):
            await holding.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        async with asyncio.timeout(5), sessions() as session:
            await session.execute(insert(_rows).values(writer="next"))
            await session.commit()
        assert await _count(engine, "cancelled") == 0
        assert await _count(engine, "next") == 1
    finally:
        await engine.dispose()


async def test_a_failed_write_gives_its_turn_back(tmp_path: Path) -> None:
    engine = await _engine(tmp_path)
    sessions = create_session_factory(engine)
    try:
        async with sessions() as session:
            await session.execute(insert(_rows).values(id=1, writer="one"))
            await session.commit()
        async with sessions() as session:
            with pytest.raises(IntegrityError):
                await session.execute(insert(_rows).values(id=1, writer="duplicate"))
        async with asyncio.timeout(5), sessions() as session:
            await session.execute(insert(_rows).values(writer="after"))
            await session.commit()
        assert await _count(engine, "after") == 1
    finally:
        await engine.dispose()
