"""API shapes of log ingestion and event search."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from garrison.detection.ingest.models import StoredLogEvent


class IngestResult(BaseModel):
    accepted: int  # documents or lines taken in
    events: int  # events queued (a failed login also gives an auth_failure event)
    rejected: int
    reasons: dict[str, int]


class StoredEventOut(BaseModel):
    id: int
    source: str
    received_at: datetime
    occurred_at: datetime | None
    host: str | None
    kind: str
    parser: str
    product: str | None
    service: str | None
    category: str | None
    fields: dict[str, Any]
    raw: str

    @classmethod
    def from_row(cls, row: StoredLogEvent) -> StoredEventOut:
        return cls(
            id=row.id,
            source=row.source,
            received_at=row.received_at,
            occurred_at=row.occurred_at,
            host=row.host,
            kind=row.kind,
            parser=row.parser,
            product=row.product,
            service=row.service,
            category=row.category,
            fields=row.fields,
            raw=row.raw,
        )


class EventPage(BaseModel):
    events: list[StoredEventOut]
    next_before_id: int | None
