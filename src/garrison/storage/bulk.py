"""Many rows into one table with the least work per row, on every backend.

:class:`BulkInsert` takes rows as tuples of Python values in a fixed column order (times
timezone-aware, JSON columns as Python values) and inserts them in one executemany,
within the caller's transaction. On SQLite the values are converted here, exactly as
the column types would store them (``UTCDateTime`` as SQLite's UTC text, ``JSON`` by
the engine's JSON serialiser), and handed to the driver: SQLAlchemy's per-row statement
machinery is skipped. Other backends get a Core ``insert()`` with every row (the column
types convert; the driver's own executemany is fast there). Nothing is read back: the
rows' ids are not known to the caller.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Table, insert
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.storage.base import UTCDateTime

Convert = Callable[[Any], Any]


class BulkInsert:
    """An insert of ``columns`` of ``table``, prepared once, run with many rows."""

    def __init__(self, table: Table, columns: Sequence[str]) -> None:
        self.table = table
        self.columns = tuple(columns)
        unknown = [name for name in self.columns if name not in table.c]
        if unknown:
            raise ValueError(f"{table.name} has no column {', '.join(unknown)}")
        self._sqlite: tuple[str, list[Convert | None]] | None = None

    async def execute(self, session: AsyncSession, rows: Sequence[Sequence[Any]]) -> int:
        """Insert ``rows`` (flushes the session first); returns how many."""
        if not rows:
            return 0
        await session.flush()
        connection = await session.connection()
        dialect = connection.dialect
        if dialect.name != "sqlite":
            columns = self.columns
            await connection.execute(
                insert(self.table), [dict(zip(columns, row, strict=True)) for row in rows]
            )
            return len(rows)
        statement, converters = self._sqlite_statement(dialect)
        if any(converters):
            pairs = list(enumerate(converters))
            rows = [
                tuple(row[i] if convert is None else convert(row[i]) for i, convert in pairs)
                for row in rows
            ]
        await connection.exec_driver_sql(statement, list(rows))
        return len(rows)

    def _sqlite_statement(self, dialect: Dialect) -> tuple[str, list[Convert | None]]:
        """The driver's SQL (``?`` marks in the order of the columns) and each column's
        conversion, made once."""
        if self._sqlite is None:
            compiled = insert(self.table).compile(dialect=dialect, column_keys=list(self.columns))
            order = compiled.positiontup or []
            if list(order) != list(self.columns):
                raise ValueError(f"unexpected parameter order for {self.table.name}: {order}")
            converters = [
                _sqlite_converter(self.table.c[name].type, dialect) for name in self.columns
            ]
            self._sqlite = (compiled.string, converters)
        return self._sqlite


def _sqlite_converter(column_type: Any, dialect: Dialect) -> Convert | None:
    if isinstance(column_type, UTCDateTime):
        return _RepeatedTimes().text
    if isinstance(column_type, JSON):
        serialise: Callable[[Any], str] = getattr(dialect, "_json_serializer", None) or json.dumps
        if column_type.none_as_null:
            return lambda value: None if value is None else serialise(value)
        return serialise
    # Anything else: what the column type itself does (nothing, for text and numbers).
    convert: Convert | None = column_type.bind_processor(dialect)
    return convert


class _RepeatedTimes:
    """``sqlite_utc_text`` remembering its last answer: rows of a batch often share a
    time object (their arrival time, a syslog second), converted once."""

    def __init__(self) -> None:
        self._last: datetime | None = None
        self._text: str | None = None

    def text(self, value: datetime | None) -> str | None:
        if value is not self._last or value is None:
            self._text = sqlite_utc_text(value)
            self._last = value
        return self._text


def sqlite_utc_text(value: datetime | None) -> str | None:
    """A time as ``UTCDateTime`` stores it on SQLite: UTC, ``YYYY-MM-DD HH:MM:SS.ffffff``."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given where UTC is required")
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")
