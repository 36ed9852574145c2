"""The parsers by name, ``auto`` detection, and the dispatch of a message to its product."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, get_args

from garrison.config.detection import ParserName
from garrison.detection.parsers.base import ParseContext, ParsedRecord, Recognised
from garrison.detection.parsers.documents import (
    check_depth,
    flatten,
    is_windows_event,
    windows_event,
)
from garrison.detection.parsers.envelope import Envelope, split_envelope
from garrison.detection.parsers.products.auth_services import (
    OpenVpnRecogniser,
    PamRecogniser,
    courier,
    proftpd,
    pure_ftpd,
    vsftpd,
)
from garrison.detection.parsers.products.common import Recogniser, owns_program
from garrison.detection.parsers.products.mail import DovecotRecogniser, exim, postfix
from garrison.detection.parsers.products.sshd import SshdRecogniser
from garrison.detection.parsers.products.voip import AsteriskRecogniser, FreeswitchRecogniser
from garrison.detection.parsers.products.web import WebRecogniser
from garrison.detection.parsers.timestamps import parse_iso
from garrison.detection.records import LogSource

PARSER_NAMES: tuple[str, ...] = get_args(ParserName)
_SYSLOG = LogSource(product="linux", service="syslog")
MAX_KNOWN_PROGRAMS = 4096
_MESSAGE_KEYS = ("message", "log", "MESSAGE", "msg")
_PROGRAM_KEYS = ("appname", "SYSLOG_IDENTIFIER", "program", "ident", "app_name")
_HOST_KEYS = ("hostname", "host", "_HOSTNAME", "host.name", "Hostname")
_TIME_KEYS = ("@timestamp", "timestamp", "time", "date", "EventTime")


def _chain(name: str) -> list[Recogniser]:
    """The product parsers a source's parser runs, in the order they are tried."""
    pam = PamRecogniser()
    single: dict[str, list[Recogniser]] = {
        "nginx_access": [WebRecogniser(formats=("access",), server="nginx")],
        "apache_access": [WebRecogniser(formats=("access",), server="apache")],
        "nginx_error": [WebRecogniser(formats=("nginx_error",), server="nginx")],
        "apache_error": [WebRecogniser(formats=("apache_error",), server="apache")],
        "sshd": [SshdRecogniser(), pam],
        "pam": [pam],
        "postfix": [postfix(), pam],
        "dovecot": [DovecotRecogniser(), pam],
        "courier": [courier(), pam],
        "exim": [exim()],
        "asterisk": [AsteriskRecogniser()],
        "freeswitch": [FreeswitchRecogniser()],
        "openvpn": [OpenVpnRecogniser(), pam],
        "vsftpd": [vsftpd(), pam],
        "proftpd": [proftpd(), pam],
        "pure_ftpd": [pure_ftpd(), pam],
    }
    if name in single:
        return single[name]
    return [
        WebRecogniser(formats=("access", "nginx_error", "apache_error")),
        SshdRecogniser(),
        DovecotRecogniser(),
        postfix(),
        exim(),
        courier(),
        AsteriskRecogniser(),
        FreeswitchRecogniser(),
        OpenVpnRecogniser(),
        vsftpd(),
        proftpd(),
        pure_ftpd(),
        pam,
    ]


class LogParser:
    """One source's parser: keeps the per-source memory some products need."""

    def __init__(self, name: str) -> None:
        if name not in PARSER_NAMES:
            raise ValueError(f"unknown parser {name!r}")
        self.name = name
        self._chain = _chain(name) if name not in ("json", "windows") else []
        self._pam = next((r for r in self._chain if isinstance(r, PamRecogniser)), None)
        # Program name → the product parsers that own it (asked of every line).
        self._owners: dict[str | None, list[Recogniser]] = {}

    def parse_line(self, line: str, context: ParseContext) -> ParsedRecord | None:
        if self.name in ("json", "windows") or (
            self.name == "auto" and line.lstrip().startswith("{")
        ):
            document = _json_object(line, context)
            if document is not None:
                return self.parse_document(document, context)
            if self.name != "auto":
                return None
        envelope = split_envelope(line, context)
        return self._from_envelope(envelope, extra={})

    def parse_document(self, document: Mapping[str, Any], context: ParseContext) -> ParsedRecord:
        depth = context.max_json_depth
        if self.name == "windows" or (self.name == "auto" and is_windows_event(document)):
            event = windows_event(document, max_depth=depth)
            return ParsedRecord(
                "windows",
                event.logsource,
                event.fields,
                event.timestamp,
                event.host,
                "windows",
                event.failure,
            )
        text = next((document[k] for k in _MESSAGE_KEYS if isinstance(document.get(k), str)), None)
        extra = flatten(document, max_depth=depth)
        if text is None or self.name == "json":
            return ParsedRecord(
                "json",
                LogSource(),
                extra,
                _document_time(extra),
                _first_text(extra, _HOST_KEYS),
            )
        for key in _MESSAGE_KEYS:
            extra.pop(key, None)
        envelope = _with_document_hints(split_envelope(text, context), extra)
        record = self._from_envelope(envelope, extra=extra)
        if record is None:
            fields = {**extra, "message": text}
            return ParsedRecord("json", LogSource(), fields, _document_time(extra), envelope.host)
        if record.timestamp is None:
            return replace(record, timestamp=_document_time(extra))
        return record

    def _from_envelope(self, envelope: Envelope, *, extra: dict[str, Any]) -> ParsedRecord | None:
        recognised = self._recognise(envelope)
        fields: dict[str, Any] = {**extra, **_envelope_fields(envelope)}
        if recognised is not None:
            fields.update(recognised.fields)
            return ParsedRecord(
                _parser_name(recognised),
                recognised.logsource,
                fields,
                recognised.timestamp or envelope.timestamp,
                recognised.host or envelope.host,
                recognised.product,
                recognised.failure,
            )
        if envelope.program is None and envelope.timestamp is None:
            return None
        fields["message"] = envelope.message
        return ParsedRecord("syslog", _SYSLOG, fields, envelope.timestamp, envelope.host)

    def _recognise(self, envelope: Envelope) -> Recognised | None:
        owners = self._owners.get(envelope.program)
        if owners is None:
            owners = [r for r in self._chain if owns_program(envelope.program, r.programs)]
            if len(self._owners) >= MAX_KNOWN_PROGRAMS:
                self._owners.clear()
            self._owners[envelope.program] = owners
        best: Recognised | None = None
        for recogniser in owners:
            found = recogniser.recognise(envelope)
            if found is not None and found.failure is not None:
                return found
            best = best or found
        if best is not None:
            # A program's own parser knew the line; PAM may still see a failure in it.
            if self._pam is not None and self._pam not in owners:
                pam = self._pam.recognise(envelope)
                if pam is not None:
                    return pam
            return best
        for recogniser in self._chain:
            if recogniser in owners:
                continue
            found = recogniser.recognise(envelope)
            if found is not None:
                return found
        return None


def _parser_name(recognised: Recognised) -> str:
    source = recognised.logsource
    if source.category == "webserver" and source.product in ("nginx", "apache"):
        return f"{source.product}_{'error' if source.service == 'error' else 'access'}"
    if source.category == "webserver":
        return "nginx_access"
    if source.service == "auth":
        return "pam"
    return recognised.product.replace("-", "_")


def _envelope_fields(envelope: Envelope) -> dict[str, Any]:
    fields = {k: v for k, v in envelope.fields.items() if k != "structured_data"}
    structured = envelope.fields.get("structured_data")
    if isinstance(structured, Mapping):
        fields.update(flatten(structured, max_depth=4, prefix="structured_data"))
    return fields


def _with_document_hints(envelope: Envelope, document: Mapping[str, Any]) -> Envelope:
    """Vector's and journald's documents carry program and host apart from the message."""
    host = envelope.host or _first_text(document, _HOST_KEYS)
    if envelope.program is not None:
        return replace(envelope, host=host)
    program = _first_text(document, _PROGRAM_KEYS)
    if program is None:
        return replace(envelope, host=host)
    pid = _first_text(document, ("procid", "pid", "_PID", "SYSLOG_PID"))
    return replace(
        envelope,
        host=host,
        program=program,
        pid=pid,
        message=envelope.rest,
        fields={**envelope.fields, "program": program},
    )


def _first_text(document: Mapping[str, Any], keys: Sequence[str]) -> str | None:
    for key in keys:
        value = document.get(key)
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
            return str(value)
    return None


def _document_time(document: Mapping[str, Any]) -> datetime | None:
    for key in _TIME_KEYS:
        value = document.get(key)
        if isinstance(value, str):
            parsed = parse_iso(value)
            if parsed is not None:
                return parsed
        elif isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
            seconds = value / 1000 if value > 1e11 else value
            try:
                return datetime.fromtimestamp(seconds, UTC)
            except (OverflowError, OSError, ValueError):
                return None
    return None


def _json_object(line: str, context: ParseContext) -> dict[str, Any] | None:
    try:
        value = json.loads(line)
    except (ValueError, RecursionError):
        return None
    if not isinstance(value, dict):
        return None
    check_depth(value, max_depth=context.max_json_depth)
    return value


def create_parser(name: str) -> LogParser:
    return LogParser(name)
