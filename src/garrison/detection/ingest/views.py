"""HTTP: bulk ingest (Vector, Fluent Bit and friends) and the search of stored events."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from garrison.auth.dependencies import require
from garrison.auth.permissions import Permission
from garrison.auth.principal import Principal
from garrison.detection.ingest import service
from garrison.detection.ingest.builder import EventBuilder
from garrison.detection.ingest.payloads import (
    Malformed,
    PayloadRejected,
    decompress,
    split_documents,
    split_lines,
)
from garrison.detection.ingest.schemas import EventPage, IngestResult, StoredEventOut
from garrison.detection.ingest.state import ingest_state
from garrison.detection.records import LogEvent
from garrison.errors import NotFoundError, RateLimited, ValidationFailed
from garrison.i18n import gettext as _
from garrison.web.dependencies import Context, DbSession

MAX_PAGE = 500
MAX_FIELD_FILTERS = 8
RETRY_AFTER_SECONDS = 2
FIELD_NAME_PATTERN = r"^[A-Za-z0-9_@][A-Za-z0-9_.@-]{0,127}$"

router = APIRouter(tags=["detection"])

IngestWriter = Annotated[Principal, Depends(require(Permission.INGEST_WRITE))]
EventSearcher = Annotated[Principal, Depends(require(Permission.EVENTS_SEARCH))]
SourceName = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")]


@router.post("/ingest/{source}", response_model=IngestResult)
async def ingest(
    *, source: SourceName, request: Request, _principal: IngestWriter, context: Context
) -> IngestResult:
    state = ingest_state(context)
    builder = state.http_builder(source)
    if builder is None:
        raise NotFoundError(_("No HTTP ingest source is called {source}.").format(source=source))
    metrics = state.pipeline.metrics
    if not state.pipeline.queue.room():
        metrics.dropped.labels(source, "queue_full").inc()
        raise RateLimited(
            _("The detection queue is full; retry later."), retry_after_seconds=RETRY_AFTER_SECONDS
        )
    body = await request.body()
    try:
        events, rejected = _events_of(
            body,
            encoding=request.headers.get("content-encoding", ""),
            content_type=request.headers.get("content-type", ""),
            builder=builder,
            received_at=context.clock.now(),
        )
    except PayloadRejected as exc:
        metrics.rejected.labels(source, exc.reason).inc()
        raise ValidationFailed(str(exc)) from exc
    accepted = sum(1 for event in events if event.kind == "log")
    if not accepted and rejected:
        raise ValidationFailed(
            _("Nothing in the body could be read: {reasons}.").format(
                reasons=", ".join(f"{n} {reason}" for reason, n in sorted(rejected.items()))
            )
        )
    if events and not state.pipeline.offer(events):
        metrics.dropped.labels(source, "queue_full").inc(len(events))
        raise RateLimited(
            _("The detection queue is full; retry later."), retry_after_seconds=RETRY_AFTER_SECONDS
        )
    metrics.events_in.labels(source).inc(accepted)
    return IngestResult(
        accepted=accepted,
        events=len(events),
        rejected=sum(rejected.values()),
        reasons=dict(rejected),
    )


def _events_of(
    body: bytes, *, encoding: str, content_type: str, builder: EventBuilder, received_at: datetime
) -> tuple[list[LogEvent], Counter[str]]:
    limits = builder.limits
    data = decompress(body, encoding=encoding, max_bytes=limits.max_decompressed_bytes)
    text = builder.decode_body(data)
    events: list[LogEvent] = []
    rejected: Counter[str] = Counter()
    if content_type.split(";", 1)[0].strip().lower() == "text/plain":
        for line in split_lines(text, max_documents=limits.max_request_events):
            events.extend(builder.from_line(line, received_at).events)
        return events, rejected
    for document in split_documents(text, max_documents=limits.max_request_events):
        if isinstance(document, Malformed):
            rejected["malformed"] += 1
            builder.count_rejected("malformed")
            continue
        built = builder.from_document(document, received_at)
        if built.refusal is not None:
            rejected[built.refusal.reason] += 1
            continue
        events.extend(built.events)
    return events, rejected


@router.get("/events", response_model=EventPage)
async def search_events(
    *,
    _principal: EventSearcher,
    session: DbSession,
    source: Annotated[list[str] | None, Query(max_length=20)] = None,
    kind: Annotated[str | None, Query(pattern=r"^(log|auth_failure)$")] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    host: Annotated[str | None, Query(max_length=255)] = None,
    field: Annotated[
        list[str] | None,
        Query(
            max_length=MAX_FIELD_FILTERS,
            description="name:value, e.g. source_address:192.0.2.1 (repeatable)",
        ),
    ] = None,
    before_id: Annotated[int | None, Query(ge=1)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
) -> EventPage:
    for name, moment in (("since", since), ("until", until)):
        if moment is not None and moment.tzinfo is None:
            raise ValidationFailed(
                _("{name}: give a UTC offset, e.g. 2026-06-01T08:00:00Z.").format(name=name)
            )
    if since is not None and until is not None and since >= until:
        raise ValidationFailed(_("since must be before until."))
    query = service.EventQuery(
        sources=tuple(source or ()),
        kind=kind,
        since=since,
        until=until,
        host=host,
        field_equals=tuple(_field_filter(item) for item in field or ()),
        before_id=before_id,
        limit=limit,
    )
    rows = await service.search_events(session, query=query)
    more = len(rows) == limit
    return EventPage(
        events=[StoredEventOut.from_row(row) for row in rows],
        next_before_id=rows[-1].id if more and rows else None,
    )


def _field_filter(item: str) -> tuple[str, str]:
    name, separator, value = item.partition(":")
    if not separator or not re.match(FIELD_NAME_PATTERN, name) or len(value) > 1024:
        raise ValidationFailed(
            _("field: expected name:value (a field name, a colon, at most 1024 characters).")
        )
    return name, value
