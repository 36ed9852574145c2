"""Persistence of ingestion: stored events (insert, search, retention) and tail offsets.

Keyword-only functions taking an ``AsyncSession``; they flush, the caller commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.detection.ingest.models import LogFileOffset, StoredLogEvent
from garrison.detection.records import LogEvent
from garrison.storage.bulk import BulkInsert

DELETE_BATCH = 5000


_EVENT_TABLE = StoredLogEvent.__table__
assert isinstance(_EVENT_TABLE, sa.Table)
_INSERT_EVENTS = BulkInsert(
    _EVENT_TABLE,
    (
        "source",
        "received_at",
        "occurred_at",
        "host",
        "kind",
        "parser",
        "product",
        "service",
        "category",
        "fields",
        "raw",
    ),
)


def event_values(event: LogEvent) -> tuple[Any, ...]:
    """An event as a stored row, in the order of ``_INSERT_EVENTS``'s columns."""
    source = event.logsource
    host = event.host
    return (
        event.source,
        event.received_at,
        event.timestamp,
        host[:255] if host else None,
        event.kind,
        event.parser[:32],
        source.product or None,
        source.service or None,
        source.category or None,
        _json_safe_fields(event.fields),
        _no_nul(event.raw),
    )


def _no_nul(text: str) -> str:
    # PostgreSQL refuses NUL characters in text.
    return text.replace("\x00", "\ufffd") if "\x00" in text else text


def _json_safe_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """``_json_safe`` of an event's fields, quicker for the usual flat text values."""
    safe: dict[str, Any] = {}
    for key, value in fields.items():
        name = key if type(key) is str else str(key)
        safe[name] = _no_nul(value) if type(value) is str else _json_safe(value)
    return safe


async def insert_events(session: AsyncSession, *, events: Sequence[LogEvent]) -> int:
    if not events:
        return 0
    # One executemany of pre-converted rows (see ``garrison.storage.bulk``).
    return await _INSERT_EVENTS.execute(session, [event_values(event) for event in events])


async def delete_events_before(session: AsyncSession, *, cutoff: datetime) -> int:
    """Delete one batch of events received before ``cutoff``; returns how many went."""
    ids = (
        await session.scalars(
            sa.select(StoredLogEvent.id)
            .where(StoredLogEvent.received_at < cutoff)
            .order_by(StoredLogEvent.id)
            .limit(DELETE_BATCH)
        )
    ).all()
    if not ids:
        return 0
    await session.execute(sa.delete(StoredLogEvent).where(StoredLogEvent.id.in_(ids)))
    await session.flush()
    return len(ids)


@dataclass(frozen=True, slots=True)
class EventQuery:
    sources: tuple[str, ...] = ()
    kind: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    host: str | None = None
    field_equals: tuple[tuple[str, str], ...] = ()
    before_id: int | None = None
    limit: int = 100


async def search_events(session: AsyncSession, *, query: EventQuery) -> list[StoredLogEvent]:
    """Newest first; ``before_id`` continues a previous page."""
    statement = sa.select(StoredLogEvent)
    if query.sources:
        statement = statement.where(StoredLogEvent.source.in_(query.sources))
    if query.kind:
        statement = statement.where(StoredLogEvent.kind == query.kind)
    if query.since is not None:
        statement = statement.where(StoredLogEvent.received_at >= query.since)
    if query.until is not None:
        statement = statement.where(StoredLogEvent.received_at < query.until)
    if query.host:
        statement = statement.where(StoredLogEvent.host == query.host)
    for name, value in query.field_equals:
        # Compared as text on both backends (SQLite's json_extract keeps numbers numeric).
        extracted = sa.cast(StoredLogEvent.fields[name].as_string(), sa.String)
        statement = statement.where(extracted == value)
    if query.before_id is not None:
        statement = statement.where(StoredLogEvent.id < query.before_id)
    statement = statement.order_by(StoredLogEvent.id.desc()).limit(query.limit)
    return list((await session.scalars(statement)).all())


async def get_file_offset(session: AsyncSession, *, source: str) -> LogFileOffset | None:
    return await session.get(LogFileOffset, source)


async def save_file_offset(
    session: AsyncSession,
    *,
    source: str,
    path: str,
    device: int,
    inode: int,
    offset: int,
    now: datetime,
) -> None:
    row = await session.get(LogFileOffset, source)
    if row is None:
        row = LogFileOffset(source=source, path=path, device=device, inode=inode, offset=offset)
        session.add(row)
    row.path, row.device, row.inode, row.offset, row.updated_at = path, device, inode, offset, now
    await session.flush()


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    if isinstance(value, str):
        # PostgreSQL refuses NUL characters in text.
        return value.replace("\x00", "\ufffd")
    if value is None or isinstance(value, int | float | bool):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)
