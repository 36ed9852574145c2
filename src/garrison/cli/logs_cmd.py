"""``garrison logs parse``: show what Garrison makes of a log file, as JSON lines."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path
from typing import IO, Any

import click

from garrison.clock import SystemClock
from garrison.config.detection import IngestLimits
from garrison.detection.ingest.builder import EventBuilder
from garrison.detection.ingest.payloads import Malformed, PayloadRejected, split_documents
from garrison.detection.parsers import PARSER_NAMES
from garrison.detection.records import LogEvent, LogSource
from garrison.errors import ValidationFailed
from garrison.i18n import gettext as _

# A JSON file is read whole (documents may span lines); text files are streamed.
MAX_JSON_FILE_BYTES = 64 * 1024 * 1024


@click.group("logs")
def logs_group() -> None:
    """Security logs: try the parsers on a file."""


@logs_group.command("parse")
@click.option(
    "--format",
    "format_name",
    type=click.Choice(PARSER_NAMES),
    default="auto",
    show_default=True,
    help="The parser to use.",
)
@click.option("--source", default="cli", show_default=True, help="Source name in the output.")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, allow_dash=True))
def parse_command(format_name: str, source: str, file: Path) -> None:
    """Print the normalised events of FILE ('-' for standard input), one JSON object a line.

    Failed logins also give an event of kind auth_failure with source_address and account.
    """
    builder = EventBuilder(
        source=source,
        parser=format_name,
        tag=LogSource(),
        zone=UTC,
        limits=IngestLimits(),
    )
    stream = _open(file)
    try:
        for event in _events(stream, builder, json_documents=_is_json(stream, format_name)):
            click.echo(json.dumps(event_as_json(event), ensure_ascii=False, default=str))
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, and keep Python's exit quiet too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except OSError as exc:
        raise ValidationFailed(
            _("{file}: cannot read: {reason}").format(file=file, reason=exc.strerror or exc)
        ) from exc
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()


def _open(file: Path) -> IO[bytes]:
    if str(file) == "-":
        return sys.stdin.buffer
    try:
        return file.open("rb")
    except OSError as exc:
        raise ValidationFailed(
            _("{file}: cannot read: {reason}").format(file=file, reason=exc.strerror or exc)
        ) from exc


def _is_json(stream: IO[bytes], format_name: str) -> bool:
    if format_name in ("json", "windows"):
        return True
    if format_name != "auto" or not stream.seekable():
        return False
    start = stream.read(4096).lstrip()
    stream.seek(0)
    return start[:1] in (b"{", b"[")


def _events(
    stream: IO[bytes], builder: EventBuilder, *, json_documents: bool
) -> Iterator[LogEvent]:
    clock = SystemClock()
    if not json_documents:
        for line in _lines(stream, builder.limits.max_event_bytes):
            yield from builder.from_bytes(line, clock.now()).events
        return
    data = stream.read(MAX_JSON_FILE_BYTES + 1)
    if len(data) > MAX_JSON_FILE_BYTES:
        raise ValidationFailed(
            _("The JSON file is larger than {limit} bytes.").format(limit=MAX_JSON_FILE_BYTES)
        )
    try:
        documents = list(split_documents(builder.decode_body(data), max_documents=10_000_000))
    except PayloadRejected as exc:
        raise ValidationFailed(str(exc)) from exc
    for document in documents:
        if isinstance(document, Malformed):
            click.echo(
                _("skipped at character {position}: {reason}").format(
                    position=document.position, reason=document.message
                ),
                err=True,
            )
            continue
        built = builder.from_document(document, clock.now())
        if built.refusal is not None:
            click.echo(
                _("skipped a document: {reason}").format(reason=built.refusal.reason), err=True
            )
        yield from built.events


def _lines(stream: IO[bytes], max_bytes: int) -> Iterator[bytes]:
    """Lines of at most ``max_bytes`` (the rest of a longer line is skipped)."""
    while True:
        line = stream.readline(max_bytes)
        if not line:
            return
        if len(line) == max_bytes and not line.endswith(b"\n"):
            while True:
                rest = stream.readline(max_bytes)
                if not rest or rest.endswith(b"\n"):
                    break
        yield line


def event_as_json(event: LogEvent) -> dict[str, Any]:
    return {
        "kind": event.kind,
        "source": event.source,
        "parser": event.parser,
        "logsource": {
            "product": event.logsource.product,
            "service": event.logsource.service,
            "category": event.logsource.category,
        },
        "timestamp": event.timestamp.isoformat() if event.timestamp else None,
        "host": event.host,
        "fields": event.fields,
        "raw": event.raw,
    }
