"""SQLite writers: a transaction that reads, then writes, must wait its turn, not fail.

In WAL mode a deferred transaction that has read and then writes cannot wait for the
write lock: SQLite answers "database is locked" at once (busy_timeout does not help),
because another writer committed after its snapshot. Write transactions therefore
begin IMMEDIATE; sessions marked reading begin deferred and upgrade at their first
write, never holding a stale snapshot when they do.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import Column, Integer, MetaData, Table, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from garrison.storage.engine import create_engine, create_session_factory, reading

WRITERS = 40

_metadata = MetaData()
_counter = Table(
    "test_counter",
    _metadata,
    Column("id", Integer, primary_key=True),
    Column("value", Integer, nullable=False),
)


async def _engine(tmp_path: Path) -> AsyncEngine:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'writers.db'}")
    async with engine.begin() as connection:
        await connection.run_sync(_metadata.create_all)
        await connection.execute(insert(_counter).values(id=1, value=0))
    return engine


async def _read_then_write(engine: AsyncEngine, *, read_mostly: bool) -> None:
    sessions = create_session_factory(engine)
    async with sessions() as session:
        if read_mostly:
            reading(session)
        value = await session.scalar(select(_counter.c.value).where(_counter.c.id == 1))
        assert value is not None
        # Give the others time to commit between this read and this write.
        await asyncio.sleep(0.001)
        await session.execute(update(_counter).where(_counter.c.id == 1).values(value=value + 1))
        await session.commit()


async def test_concurrent_read_then_write_transactions_all_commit(tmp_path: Path) -> None:
    engine = await _engine(tmp_path)
    try:
        outcomes = await asyncio.gather(
            *(_read_then_write(engine, read_mostly=False) for _ in range(WRITERS)),
            return_exceptions=True,
        )
        async with engine.connect() as connection:
            total = await connection.scalar(select(_counter.c.value))
    finally:
        await engine.dispose()
    failures = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    assert failures == []
    # Serialised, not merely retried: no increment was lost.
    assert total == WRITERS


async def test_reading_sessions_upgrade_without_failing(tmp_path: Path) -> None:
    engine = await _engine(tmp_path)
    try:
        outcomes = await asyncio.gather(
            *(_read_then_write(engine, read_mostly=index % 2 == 0) for index in range(WRITERS)),
            return_exceptions=True,
        )
    finally:
        await engine.dispose()
    assert [outcome for outcome in outcomes if isinstance(outcome, BaseException)] == []


async def test_reading_sessions_do_not_wait_for_a_writer(tmp_path: Path) -> None:
    engine = await _engine(tmp_path)
    sessions = create_session_factory(engine)
    try:
        async with sessions() as writer:
            await writer.execute(update(_counter).values(value=7))
            # The writer holds the write lock; a reader still answers, from the last commit.
            async with sessions() as reader, asyncio.timeout(5):
                reading(reader)
                assert await reader.scalar(select(_counter.c.value)) == 0
            await writer.commit()
    finally:
        await engine.dispose()
