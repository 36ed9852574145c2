"""What parsers produce, and the small helpers every product parser shares."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any, Protocol

from garrison.detection.records import LogSource

DEFAULT_MAX_JSON_DEPTH = 32


@dataclass(frozen=True, slots=True)
class ParseContext:
    """What a parser needs besides the text: when it arrived and how to read local times."""

    received_at: datetime
    zone: tzinfo = UTC
    max_json_depth: int = DEFAULT_MAX_JSON_DEPTH


@dataclass(frozen=True, slots=True)
class Failure:
    """An authentication failure (or pre-authentication probe) a product reported."""

    source_address: str | None
    account: str | None
    detail: str
    # "attempt": a refused login or request; "probe": scans, aborted handshakes.
    failure_class: str = "attempt"


@dataclass(frozen=True, slots=True)
class Recognised:
    """What a product parser understood of one message."""

    product: str
    logsource: LogSource
    fields: dict[str, Any] = field(default_factory=dict)
    failure: Failure | None = None
    timestamp: datetime | None = None
    host: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedRecord:
    """One record, parsed: the fields of its log event and maybe an authentication failure."""

    parser: str
    logsource: LogSource
    fields: dict[str, Any]
    timestamp: datetime | None = None
    host: str | None = None
    product: str | None = None
    failure: Failure | None = None


class RecordParser(Protocol):
    """Parses one record of a source; an instance may keep state across the source's lines."""

    name: str

    def parse_line(self, line: str, context: ParseContext) -> ParsedRecord | None:
        """``None`` when the line is not in a format this parser knows."""
        ...

    def parse_document(self, document: dict[str, Any], context: ParseContext) -> ParsedRecord:
        """A JSON document (object) as shipped by Vector, Fluent Bit, Winlogbeat, NXLog…"""
        ...


_PORT_SUFFIX = re.compile(r"^(?P<host>[^:\s]+):\d{1,5}$")
_HOSTNAME = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,252})$")


def normalise_address(text: str | None) -> str | None:
    """An address as a detector wants it: no brackets, no port, IPv4-mapped IPv6 unwrapped.

    Host names are kept as they are (some products log the reverse name only).
    """
    if not text:
        return None
    value = text.strip().strip("'\"")
    if value.startswith("["):
        closing = value.find("]")
        if closing > 0:
            value = value[1:closing]
    else:
        match = _PORT_SUFFIX.match(value)
        if match:
            value = match.group("host")
    if value.lower().startswith("::ffff:") and "." in value:
        value = value[7:]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        pass
    # A host name has a dot: "peer" or "unknown" are words, not hosts.
    return value if "." in value and _HOSTNAME.match(value) else None


def clean_account(text: str | None) -> str | None:
    if text is None:
        return None
    value = text.strip().strip("<>'\"`")
    return value[:256] or None
