from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, insert, select
from sqlalchemy.exc import StatementError

from garrison.storage.base import UTCDateTime
from garrison.storage.engine import capabilities_for, create_engine, normalise_url

_metadata = MetaData()
_stamps = Table(
    "test_stamps",
    _metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime()),
)


async def test_timestamps_come_back_as_aware_utc(database_url: str) -> None:
    engine = create_engine(database_url)
    hanoi = timezone(timedelta(hours=7))
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_metadata.create_all)
            await connection.execute(
                insert(_stamps).values(id=1, at=datetime(2026, 1, 19, 15, 30, tzinfo=hanoi))
            )
            value = await connection.scalar(select(_stamps.c.at))
            await connection.run_sync(_metadata.drop_all)
    finally:
        await engine.dispose()
    assert value == datetime(2026, 1, 19, 8, 30, tzinfo=UTC)
    assert value.tzinfo == UTC


async def test_naive_timestamps_are_refused(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_metadata.create_all)
            with pytest.raises(StatementError, match="naive datetime"):
                await connection.execute(insert(_stamps).values(id=2, at=datetime(2026, 1, 19)))  # noqa: DTZ001
    finally:
        await engine.dispose()


def test_plain_urls_get_the_async_driver() -> None:
    assert normalise_url("postgresql://u@h/db").startswith("postgresql+asyncpg://")
    assert normalise_url("sqlite:///x.db").startswith("sqlite+aiosqlite://")
    assert capabilities_for("sqlite+aiosqlite:///x.db").row_locks is False
    assert capabilities_for("postgresql+asyncpg://u@h/db").row_locks is True


async def test_sqlite_uses_wal_and_foreign_keys(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    try:
        async with engine.connect() as connection:
            journal = await connection.exec_driver_sql("PRAGMA journal_mode")
            assert journal.scalar() == "wal"
            keys = await connection.exec_driver_sql("PRAGMA foreign_keys")
            assert keys.scalar() == 1
    finally:
        await engine.dispose()
