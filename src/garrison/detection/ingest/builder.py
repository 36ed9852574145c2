"""From bytes or documents of one source to normalised events, with every refusal counted.

Each input line (or document) gives one log event and, when it reports a failed login,
one ``auth_failure`` event too. Text is decoded as UTF-8 with replacement characters;
lines longer than the limit are cut (and counted); a document nested too deeply is
refused with its reason. Nothing here raises on bad input.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from garrison.config.detection import DetectionSettings, IngestLimits, LogSourceConfig
from garrison.detection.ingest.metrics import IngestMetrics
from garrison.detection.parsers import (
    DocumentTooDeep,
    LogParser,
    ParseContext,
    ParsedRecord,
    create_parser,
)
from garrison.detection.parsers.documents import check_depth
from garrison.detection.records import LogEvent, LogSource

MAX_MERGED_TAGS = 64


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why an input was not turned into events."""

    reason: str  # too_deep, not_an_object, …
    detail: str = ""


@dataclass(slots=True)
class Built:
    events: list[LogEvent]
    refusal: Refusal | None = None


class EventBuilder:
    """Turns one source's inputs into events; keeps the source's parser (and its memory)."""

    def __init__(
        self,
        *,
        source: str,
        parser: str,
        tag: LogSource,
        zone: tzinfo,
        limits: IngestLimits,
        metrics: IngestMetrics | None = None,
        service: str | None = None,
    ) -> None:
        self.source = source
        self.service = service
        self.tag = tag
        self.limits = limits
        self._parser: LogParser = create_parser(parser)
        self._zone = zone
        self._metrics = metrics
        self._last_context: ParseContext | None = None
        # The configured tag merged with each product's own (a few distinct values).
        self._merged: dict[LogSource, LogSource] = {}

    @classmethod
    def for_source(
        cls, config: LogSourceConfig, limits: IngestLimits, metrics: IngestMetrics | None
    ) -> EventBuilder:
        return cls(
            source=config.name,
            parser=config.parser,
            tag=LogSource(
                product=config.logsource.product,
                service=config.logsource.service,
                category=config.logsource.category,
            ),
            zone=ZoneInfo(config.timezone),
            limits=limits,
            metrics=metrics,
            service=config.service,
        )

    def decode(self, data: bytes) -> str:
        """UTF-8 with replacement (counted), cut at the event limit (counted)."""
        if len(data) > self.limits.max_event_bytes:
            data = data[: self.limits.max_event_bytes]
            self.count_rejected("truncated")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("utf-8", errors="replace")
            if self._metrics is not None:
                self._metrics.invalid_utf8.labels(self.source).inc()
        return text.rstrip("\r\n").replace("\x00", "\ufffd")

    def decode_body(self, data: bytes) -> str:
        """A whole request body as text (UTF-8, replacement counted), not cut."""
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            if self._metrics is not None:
                self._metrics.invalid_utf8.labels(self.source).inc()
            return data.decode("utf-8", errors="replace")

    def from_bytes(self, data: bytes, received_at: datetime) -> Built:
        return self.from_line(self.decode(data), received_at)

    def from_line(self, line: str, received_at: datetime) -> Built:
        limit = self.limits.max_event_bytes
        # A character is at most 4 bytes of UTF-8: most lines need no encoding to know.
        if len(line) * 4 > limit and len(line.encode("utf-8", errors="replace")) > limit:
            line = _cut(line, self.limits.max_event_bytes)
            self.count_rejected("truncated")
        if not line.strip():
            return Built([])
        try:
            record = self._parser.parse_line(line, self._context(received_at))
        except DocumentTooDeep:
            return self._refuse("too_deep", f"nested deeper than {self.limits.max_json_depth}")
        return Built(self._events(record, raw=line, received_at=received_at))

    def from_document(self, document: Any, received_at: datetime) -> Built:
        if not isinstance(document, Mapping):
            return self._refuse("not_an_object", type(document).__name__)
        try:
            check_depth(document, max_depth=self.limits.max_json_depth)
        except DocumentTooDeep:
            return self._refuse("too_deep", f"nested deeper than {self.limits.max_json_depth}")
        try:
            raw = json.dumps(document, ensure_ascii=False, separators=(",", ":"), default=str)
        except (ValueError, RecursionError):
            return self._refuse("too_deep", f"nested deeper than {self.limits.max_json_depth}")
        try:
            record = self._parser.parse_document(document, self._context(received_at))
        except DocumentTooDeep:
            return self._refuse("too_deep", f"nested deeper than {self.limits.max_json_depth}")
        if len(raw.encode()) > self.limits.max_event_bytes:
            raw = _cut(raw, self.limits.max_event_bytes)
            self.count_rejected("truncated")
        return Built(self._events(record, raw=raw, received_at=received_at))

    def _context(self, received_at: datetime) -> ParseContext:
        # The lines of one burst share their arrival time, and so their context.
        context = self._last_context
        if context is None or context.received_at is not received_at:
            context = ParseContext(
                received_at=received_at, zone=self._zone, max_json_depth=self.limits.max_json_depth
            )
            self._last_context = context
        return context

    def _refuse(self, reason: str, detail: str) -> Built:
        self.count_rejected(reason)
        return Built([], Refusal(reason, detail))

    def count_rejected(self, reason: str) -> None:
        if self._metrics is not None:
            self._metrics.rejected.labels(self.source, reason).inc()

    def _events(
        self, record: ParsedRecord | None, *, raw: str, received_at: datetime
    ) -> list[LogEvent]:
        if record is None:
            if self._metrics is not None:
                self._metrics.parse_errors.labels(self.source).inc()
            return [
                LogEvent(
                    source=self.source,
                    received_at=received_at,
                    logsource=self.tag,
                    fields={"message": raw},
                    raw=raw,
                    parser="raw",
                    service=self.service,
                )
            ]
        logsource = self._merged.get(record.logsource)
        if logsource is None:
            logsource = _merge(self.tag, record.logsource)
            if len(self._merged) < MAX_MERGED_TAGS:
                self._merged[record.logsource] = logsource
        event = LogEvent(
            source=self.source,
            received_at=received_at,
            logsource=logsource,
            fields=record.fields,
            raw=raw,
            timestamp=record.timestamp,
            host=record.host,
            parser=record.parser,
            service=self.service,
        )
        failure = record.failure
        if failure is None:
            return [event]
        product = record.product or record.parser
        failed = LogEvent(
            source=self.source,
            received_at=received_at,
            logsource=LogSource(logsource.product, logsource.service, "authentication"),
            fields={
                "source_address": failure.source_address,
                "account": failure.account,
                "product": product,
                "failure_class": failure.failure_class,
                "detail": failure.detail,
            },
            raw=raw,
            timestamp=record.timestamp,
            host=record.host,
            kind="auth_failure",
            parser=record.parser,
            service=self.service,
        )
        return [event, failed]


def _merge(configured: LogSource, parsed: LogSource) -> LogSource:
    """The source's configured tag wins; the parser fills what it leaves unset."""
    return LogSource(
        product=configured.product or parsed.product,
        service=configured.service or parsed.service,
        category=configured.category or parsed.category,
    )


def _cut(text: str, max_bytes: int) -> str:
    return text.encode("utf-8", errors="replace")[:max_bytes].decode("utf-8", errors="ignore")


def builders_for(
    settings: DetectionSettings, metrics: IngestMetrics | None
) -> dict[str, EventBuilder]:
    return {
        source.name: EventBuilder.for_source(source, settings.limits, metrics)
        for source in settings.sources
        if source.enabled
    }
