"""Ids for new rows, numbered by a SQLite writer so that its rows go in one executemany.

SQLite does not promise in which order a multi-row ``INSERT … RETURNING`` gives back
its ids, so SQLAlchemy inserts new ORM objects there one statement each: a flood of
alerts paid two round trips to the driver's thread per alert. A transaction that has
written already holds SQLite's one write lock until it ends, so nobody else can add a
row meanwhile: the next id of a table is its largest id plus one, then plus two, and
so on. Objects given their id this way are inserted by the ORM in one executemany.

Other backends keep their sequences (they return many ids from one statement).
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import FromClause


class RowIds:
    """The next ids of a few tables, for one transaction that holds the write lock."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._numbered: bool | None = None
        self._next: dict[str, int] = {}

    async def next_id(self, table: FromClause) -> int | None:
        """The id the next new row of ``table`` (its key column is ``id``) should take;
        None where the database numbers rows itself (not SQLite)."""
        if self._numbered is None:
            self._numbered = self._session.get_bind().dialect.name == "sqlite"
        if not self._numbered:
            return None
        name = str(table.name)  # type: ignore[attr-defined]
        if name not in self._next:
            largest = await self._session.scalar(select(func.max(table.c.id)))
            self._next[name] = int(largest or 0) + 1
        found = self._next[name]
        self._next[name] = found + 1
        return found
