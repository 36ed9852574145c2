"""A log event as the detection pipeline sees it: parsed, normalised, routed by logsource."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class LogSource:
    """Sigma's logsource triple, used to route an event to the rules that apply to it."""

    product: str | None = None  # linux, windows, apache, nginx, …
    service: str | None = None  # sshd, auth, postfix, dovecot, asterisk, openvpn, …
    category: str | None = None  # webserver, process_creation, authentication, …


@dataclass(frozen=True, slots=True)
class LogEvent:
    """One event, normalised.

    ``fields`` uses the names Sigma rules use for that kind of log (e.g. ``cs-method``,
    ``c-ip``, ``sc-status`` for web servers; Windows EventData names for Windows),
    nested data flattened with dots. ``raw`` is the original line or document,
    truncated to the ingestion limit.
    """

    source: str  # the configured ingestion source name
    received_at: datetime  # aware UTC, when Garrison got it
    logsource: LogSource
    fields: dict[str, Any]
    raw: str
    timestamp: datetime | None = None  # aware UTC, when it happened, if the log says
    host: str | None = None
    kind: str = "log"  # "log", or "auth_failure" for the normalised authentication failures
    parser: str = ""
    service: str | None = None  # the configured service of the source, if any


@dataclass(frozen=True, slots=True)
class AuthFailure:
    """The one shape every product's failed login is also reported in (one brute-force detector)."""

    source_address: str | None
    account: str | None
    product: str  # sshd, openvpn, dovecot, postfix, asterisk, nginx-http-auth, …
    at: datetime | None
    detail: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
