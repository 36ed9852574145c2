"""BulkInsert stores exactly what the column types would, on every backend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import JSON, Column, Integer, MetaData, String, Table, insert, select, text
from sqlalchemy.ext.asyncio import async_sessionmaker

from garrison.storage.base import UTCDateTime
from garrison.storage.bulk import BulkInsert, sqlite_utc_text
from garrison.storage.engine import create_engine

_metadata = MetaData()
_rows = Table(
    "test_bulk_rows",
    _metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(50)),
    Column("at", UTCDateTime()),
    Column("maybe_at", UTCDateTime(), nullable=True),
    Column("doc", JSON()),
    Column("maybe_doc", JSON(none_as_null=True), nullable=True),
    Column("n", Integer),
)
COLUMNS = ("name", "at", "maybe_at", "doc", "maybe_doc", "n")
HANOI = timezone(timedelta(hours=7))


def _values(index: int) -> tuple[object, ...]:
    at = datetime(2026, 6, 1, 15, 30, index, 120 * index, tzinfo=HANOI)
    return (
        f"row {index} ünï",
        at if index % 2 else at.astimezone(UTC),
        None if index % 2 else at.replace(microsecond=0),
        {"n": index, "text": "é\u2028", "list": [1, None, True]} if index else None,
        None if index % 3 else {"k": [index]},
        index,
    )


async def test_bulk_rows_read_back_as_core_rows(database_url: str) -> None:
    engine = create_engine(database_url)
    sessions = async_sessionmaker(engine)
    bulk = BulkInsert(_rows, COLUMNS)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_metadata.create_all)
        async with sessions() as session:
            # The reference: the same values through SQLAlchemy's own insert.
            reference = [dict(zip(COLUMNS, _values(i), strict=True)) for i in range(6)]
            await session.execute(insert(_rows), reference)
            assert await bulk.execute(session, [_values(i) for i in range(6)]) == 6
            assert await bulk.execute(session, []) == 0
            await session.commit()
        async with sessions() as session:
            query = select(*(_rows.c[name] for name in COLUMNS)).order_by(_rows.c.id)
            rows = [tuple(row) for row in (await session.execute(query)).all()]
            # What is stored, as text: both ways must be the same bytes, not only equal values.
            stored = (
                await session.execute(
                    text(
                        "SELECT CAST(at AS TEXT), CAST(maybe_at AS TEXT), CAST(doc AS TEXT), "
                        "CAST(maybe_doc AS TEXT) FROM test_bulk_rows ORDER BY id"
                    )
                )
            ).all()
        async with engine.begin() as connection:
            await connection.run_sync(_metadata.drop_all)
    finally:
        await engine.dispose()
    assert rows[:6] == rows[6:]
    assert [tuple(row) for row in stored[:6]] == [tuple(row) for row in stored[6:]]
    assert rows[1][1] == datetime(2026, 6, 1, 8, 30, 1, 120, tzinfo=UTC)
    assert rows[1][3] == {"n": 1, "text": "é\u2028", "list": [1, None, True]}
    assert rows[0][3] is None  # JSON null
    assert stored[0][2] == "null"
    assert rows[1][4] is None
    assert stored[1][3] is None  # SQL NULL


def test_sqlite_text_is_utc_with_microseconds() -> None:
    at = datetime(2026, 6, 1, 15, 30, tzinfo=HANOI)
    assert sqlite_utc_text(at) == "2026-06-01 08:30:00.000000"
    assert sqlite_utc_text(None) is None
    with pytest.raises(ValueError, match="naive"):
        sqlite_utc_text(datetime(2026, 6, 1, 8, 30))  # noqa: DTZ001 - refused on purpose


def test_unknown_columns_are_refused() -> None:
    with pytest.raises(ValueError, match="no column"):
        BulkInsert(_rows, ("name", "colour"))
