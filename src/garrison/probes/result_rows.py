"""Raw results into ``probe_results``: one executemany per batch, JSON encoded once.

The JSON columns (``phases``, ``details``) must be bounded, and bounding them needs
their encoding (:func:`bounded_json_text`). On SQLite that text is what the column
stores, so rows go to the driver as plain tuples with the text in them and times
as ``UTCDateTime`` stores them (:func:`garrison.storage.bulk.sqlite_utc_text`): no
per-row statement machinery and no second encoding. Other backends get a Core
``insert()`` with the decoded values (the column types convert them; the driver's
own executemany is fast there).
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from sqlalchemy import Table, insert
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.probes.last_results import SNAPSHOT_KEY
from garrison.probes.models import REASON_LENGTH, ResultRecord
from garrison.probes.results import CheckResult
from garrison.storage.bulk import sqlite_utc_text

MAX_DETAILS_BYTES = 16_384

COLUMNS = (
    "check_id",
    "location",
    "started_at",
    "ok",
    "latency_ms",
    "reason",
    "severity",
    "phases",
    "details",
)


# orjson encodes a result's small documents about ten times faster than json, which
# counts at thousands of results a second. Times and dataclasses go to ``default``
# (str), as with json; what orjson refuses (an integer beyond 64 bits) is left to json.
_ORJSON_OPTIONS = (
    orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
)


def json_text(value: dict[str, Any]) -> str:
    """``value`` as compact JSON text; what JSON cannot hold becomes its ``str``."""
    try:
        return orjson.dumps(value, default=str, option=_ORJSON_OPTIONS).decode("utf-8")
    except orjson.JSONEncodeError:
        return json.dumps(value, default=str, ensure_ascii=False, separators=(",", ":"))


def bounded_json_text(value: dict[str, Any], limit: int = MAX_DETAILS_BYTES) -> str:
    """``value`` as JSON text: anything odd becomes text, anything large a marker."""
    encoded = json_text(value)
    # Each character takes at most 4 bytes: short text needs no encoding to be measured.
    if len(encoded) * 4 > limit:
        size = len(encoded.encode("utf-8"))
        if size > limit:
            return json.dumps({"_truncated": True, "bytes": size})
    return encoded


def bounded_json(value: dict[str, Any], limit: int = MAX_DETAILS_BYTES) -> dict[str, Any]:
    """JSON-safe and small: anything odd becomes text, anything large a marker."""
    odd: list[object] = []

    def as_text(item: object) -> str:
        odd.append(item)
        return str(item)

    encoded = json.dumps(value, default=as_text, ensure_ascii=False)
    if len(encoded) * 4 > limit:
        size = len(encoded.encode("utf-8"))
        if size > limit:
            return {"_truncated": True, "bytes": size}
    if not odd:
        return value  # already plain JSON: decoding it again would give the same
    decoded: dict[str, Any] = json.loads(encoded)
    return decoded


def _stored_details(result: CheckResult) -> dict[str, Any]:
    details = result.details
    if SNAPSHOT_KEY in details:  # a content snapshot is kept with the check, not each run
        return {key: value for key, value in details.items() if key != SNAPSHOT_KEY}
    return details


class ResultRows:
    """The insert of results, prepared once per dialect."""

    def __init__(self) -> None:
        self._sqlite_sql: str | None = None

    async def insert(self, session: AsyncSession, results: list[tuple[str, CheckResult]]) -> None:
        if not results:
            return
        connection = await session.connection()
        dialect = connection.dialect
        if dialect.name != "sqlite":
            await connection.execute(
                insert(_table()), [_row_values(check_id, result) for check_id, result in results]
            )
            return
        rows = [
            (
                check_id,
                result.location,
                sqlite_utc_text(result.started_at),
                result.ok,
                result.latency_ms,
                result.reason[:REASON_LENGTH],
                result.severity,
                bounded_json_text(result.phases),
                bounded_json_text(_stored_details(result)),
            )
            for check_id, result in results
        ]
        await connection.exec_driver_sql(self._sqlite_statement(dialect), rows)

    def _sqlite_statement(self, dialect: Dialect) -> str:
        if self._sqlite_sql is None:
            compiled = insert(_table()).compile(dialect=dialect, column_keys=list(COLUMNS))
            if list(compiled.positiontup or []) != list(COLUMNS):
                raise ValueError(f"unexpected parameter order: {compiled.positiontup}")
            self._sqlite_sql = compiled.string
        return self._sqlite_sql


def _row_values(check_id: str, result: CheckResult) -> dict[str, Any]:
    return {
        "check_id": check_id,
        "location": result.location,
        "started_at": result.started_at,
        "ok": result.ok,
        "latency_ms": result.latency_ms,
        "reason": result.reason[:REASON_LENGTH],
        "severity": result.severity,
        "phases": bounded_json(result.phases),
        "details": bounded_json(_stored_details(result)),
    }


def _table() -> Table:
    table = ResultRecord.__table__
    assert isinstance(table, Table)
    return table
