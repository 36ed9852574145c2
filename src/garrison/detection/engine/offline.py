"""Offline runs: the events of a file through the same engine, one result per match.

Input formats: JSON (one document, an array of documents, or several documents one
after another as in SigmaHQ's regression samples), NDJSON, and every line format the
ingestion parsers know (``syslog``, ``nginx``, ``apache``, ``sshd`` …; ``auto`` guesses).
Each record keeps its index in the file (from 0); a line that reports a failed login
yields the normalised ``auth_failure`` event too, under the same index.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from garrison.config.detection import IngestLimits
from garrison.detection.engine.evaluator import DetectionEngine
from garrison.detection.findings import Finding
from garrison.detection.ingest.builder import EventBuilder
from garrison.detection.parsers import PARSER_NAMES
from garrison.detection.records import LogEvent, LogSource
from garrison.errors import ValidationFailed
from garrison.i18n import gettext as _

MAX_JSON_BYTES = 256 * 1024 * 1024
SOURCE_NAME = "offline"
# Friendlier names for the parsers of access logs.
FORMAT_ALIASES = {"nginx": "nginx_access", "apache": "apache_access", "ndjson": "json"}
FORMATS = ("auto", "json", "ndjson", "nginx", "apache", *(n for n in PARSER_NAMES if n != "auto"))


@dataclass(frozen=True, slots=True)
class OfflineMatch:
    finding: Finding
    event_index: int
    event_indexes: tuple[int, ...]

    def to_document(self) -> dict[str, Any]:
        finding = self.finding
        rule = finding.rule
        event = finding.events[-1] if finding.events else None
        return {
            "rule_id": rule.id,
            "title": rule.title,
            "level": rule.level,
            "author": rule.author,
            "license": rule.license,
            "kind": finding.kind.value,
            "event_index": self.event_index,
            "event_indexes": list(self.event_indexes),
            "summary": finding.summary,
            "matched_fields": dict(finding.matched_fields),
            "fields": dict(event.fields) if event is not None else {},
        }


def run_file(
    engine: DetectionEngine,
    path: Path,
    *,
    file_format: str = "auto",
    logsource: LogSource | None = None,
) -> Iterator[OfflineMatch]:
    """Every match of the file's events, in file order; ValidationFailed if unreadable."""
    for index, event in read_events(path, file_format=file_format, logsource=logsource):
        for finding in engine.evaluate(event, seq=index):
            indexes = finding.event_seqs or (index,)
            yield OfflineMatch(finding, indexes[-1], indexes)


def read_events(
    path: Path, *, file_format: str = "auto", logsource: LogSource | None = None
) -> Iterator[tuple[int, LogEvent]]:
    if file_format not in FORMATS:
        raise ValidationFailed(
            _("Unknown input format %(format)s; known: %(known)s")
            % {"format": file_format, "known": ", ".join(FORMATS)}
        )
    _check_readable(path)
    received_at = datetime.now(UTC)
    json_like = file_format in ("json", "ndjson") or (
        file_format == "auto" and _starts_with_json(path)
    )
    parser = "auto" if file_format in ("auto", "json", "ndjson") else file_format
    builder = EventBuilder(
        source=SOURCE_NAME,
        parser=FORMAT_ALIASES.get(parser, parser),
        tag=logsource or LogSource(),
        zone=UTC,
        limits=IngestLimits(),
    )
    if json_like:
        for index, document in enumerate(_json_documents(path)):
            for event in builder.from_document(document, received_at).events:
                yield index, event
        return
    try:
        with path.open("rb") as stream:
            for index, line in enumerate(stream):
                for event in builder.from_bytes(line, received_at).events:
                    yield index, event
    except OSError as exc:
        raise _unreadable(path, exc) from exc


def _check_readable(path: Path) -> None:
    if not path.is_file():
        raise ValidationFailed(
            _("Cannot read the input %(path)s: it is not a file.") % {"path": path}
        )
    try:
        with path.open("rb") as stream:
            stream.read(1)
    except OSError as exc:
        raise _unreadable(path, exc) from exc


def _unreadable(path: Path, exc: OSError) -> ValidationFailed:
    return ValidationFailed(
        _("Cannot read the input %(path)s: %(error)s")
        % {"path": path, "error": exc.strerror or exc}
    )


def _starts_with_json(path: Path) -> bool:
    try:
        with path.open("rb") as stream:
            head = stream.read(4096).lstrip()
    except OSError as exc:
        raise _unreadable(path, exc) from exc
    return head[:1] in (b"{", b"[")


def _json_documents(path: Path) -> Iterator[Any]:
    """Documents of a JSON file: one, an array, NDJSON, or several pretty-printed in a row."""
    size = path.stat().st_size
    if size > MAX_JSON_BYTES:
        raise ValidationFailed(
            _("The input %(path)s is too large for JSON (%(size)d bytes, at most %(max)d).")
            % {"path": path, "size": size, "max": MAX_JSON_BYTES}
        )
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationFailed(
            _("Cannot read the input %(path)s: %(error)s") % {"path": path, "error": exc}
        ) from exc
    decoder = json.JSONDecoder()
    position, length = 0, len(text)
    while True:
        while position < length and text[position].isspace():
            position += 1
        if position >= length:
            return
        try:
            document, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            raise ValidationFailed(
                _("Invalid JSON in %(path)s at line %(line)d, column %(column)d: %(error)s")
                % {"path": path, "line": exc.lineno, "column": exc.colno, "error": exc.msg}
            ) from exc
        if isinstance(document, list):
            yield from document
        else:
            yield document
