"""Each check's last result into its state row: one executemany, JSON encoded once.

Every ``flush_seconds`` the writer stores the last result of every check that ran
(see :mod:`.last_results`): thousands of rows at once on a large event. On SQLite
the rows go to the driver as plain tuples, ``last_details`` already encoded by
:func:`bounded_json_text` (the JSON column type would encode it a second time) and
times as ``UTCDateTime`` stores them. Other backends get a Core ``update()`` with
the decoded values. A check without a state row is skipped.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, Update, bindparam, update
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.probes.last_results import SNAPSHOT_KEY
from garrison.probes.models import REASON_LENGTH, CheckStateRecord
from garrison.probes.result_rows import bounded_json, bounded_json_text
from garrison.probes.results import CheckResult
from garrison.storage.bulk import sqlite_utc_text

SNAPSHOT_LIMIT_BYTES = 4 * 1024 * 1024

# The values set, in the order of the SQLite statement's parameters; the key last.
_VALUES = ("last_result_at", "last_ok", "last_reason", "last_latency_ms", "last_details")
_KEY = "_key"


def _details(result: CheckResult) -> dict[str, Any]:
    return {key: value for key, value in result.details.items() if key != SNAPSHOT_KEY}


class LastResultRows:
    """The update of the checks' state rows, prepared once per dialect."""

    def __init__(self) -> None:
        self._sqlite_sql: str | None = None

    async def update(self, session: AsyncSession, last: list[tuple[str, CheckResult]]) -> None:
        if not last:
            return
        connection = await session.connection()
        dialect = connection.dialect
        if dialect.name == "sqlite":
            rows = [
                (
                    sqlite_utc_text(result.started_at),
                    result.ok,
                    result.reason[:REASON_LENGTH],
                    result.latency_ms,
                    bounded_json_text(_details(result)),
                    check_id,
                )
                for check_id, result in last
            ]
            await connection.exec_driver_sql(self._sqlite_statement(dialect), rows)
        else:
            await connection.execute(
                _statement(_VALUES),
                [
                    {
                        _KEY: check_id,
                        "last_result_at": result.started_at,
                        "last_ok": result.ok,
                        "last_reason": result.reason[:REASON_LENGTH],
                        "last_latency_ms": result.latency_ms,
                        "last_details": bounded_json(_details(result)),
                    }
                    for check_id, result in last
                ],
            )
        snapshots = [
            {
                _KEY: check_id,
                "snapshot": bounded_json(snapshot, limit=SNAPSHOT_LIMIT_BYTES),
                "snapshot_at": result.started_at,
            }
            for check_id, result in last
            if isinstance(snapshot := result.details.get(SNAPSHOT_KEY), dict)
        ]
        if snapshots:
            await connection.execute(_statement(("snapshot", "snapshot_at")), snapshots)

    def _sqlite_statement(self, dialect: Dialect) -> str:
        if self._sqlite_sql is None:
            compiled = _statement(_VALUES).compile(dialect=dialect, column_keys=list(_VALUES))
            if list(compiled.positiontup or []) != [*_VALUES, _KEY]:
                raise ValueError(f"unexpected parameter order: {compiled.positiontup}")
            self._sqlite_sql = compiled.string
        return self._sqlite_sql


def _statement(columns: tuple[str, ...]) -> Update:
    table = CheckStateRecord.__table__
    assert isinstance(table, Table)
    return (
        update(table)
        .where(table.c.check_id == bindparam(_KEY))
        .values({name: bindparam(name) for name in columns})
    )
