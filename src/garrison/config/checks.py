"""The `checks`, `maintenance` and `probes` sections: what is watched, how, and when not to alert.

A check is one of several types (``type: http`` …), each with its own keys next to
the common ones; unknown keys are errors for that type. Times are seconds.
"""

from __future__ import annotations

from datetime import time
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, model_validator

from garrison.config.fields import EventTime, Identifier, Name, Text
from garrison.config.models_base import FrozenModel
from garrison.i18n import gettext as _

Seconds = Annotated[float, Field(gt=0, le=86_400, description="A duration in seconds.")]
Port = Annotated[int, Field(ge=1, le=65_535)]
Host = Annotated[str, Field(min_length=1, max_length=253, description="Host name or address.")]
HttpUrl = Annotated[
    str,
    Field(pattern=r"^https?://[^\s/]+", max_length=2000, description="http:// or https:// URL."),
]
DEFAULT_FORBIDDEN_PHRASES = (
    "hacked by",
    "defaced",
    "owned by",
    "greetz",
    "bị hack",
    "đã bị tấn công",
    "tấn công bởi",
)


class CheckType(StrEnum):
    HTTP = "http"
    TLS = "tls"
    DNS = "dns"
    TCP = "tcp"
    ICMP = "icmp"
    SIP = "sip"
    SMTP = "smtp"
    CONTENT = "content"
    HEARTBEAT = "heartbeat"


class _CheckBase(FrozenModel):
    id: Identifier
    name: Name | None = None
    service: Identifier | None = Field(default=None, description="Id of the service it watches.")
    interval: Seconds = Field(default=30, ge=1, description="Seconds between runs (at least 1).")
    timeout: Seconds = Field(default=10, description="Seconds before a run fails; below interval.")
    fail_after: int = Field(default=2, ge=1, le=20, description="Failures in a row before DOWN.")
    recover_after: int = Field(default=1, ge=1, le=20, description="Successes in a row before UP.")
    retry_interval: Seconds | None = Field(
        default=None, description="After a first failure, run again this soon to confirm."
    )
    locations: tuple[Identifier, ...] = Field(
        default=("local",), description="Where it runs from; 'local' is this Garrison."
    )
    enabled: bool = True
    description: Text = ""

    @model_validator(mode="after")
    def _timeout_below_interval(self) -> _CheckBase:
        if self.timeout > self.interval:
            raise ValueError(_("timeout must not be longer than interval"))
        if self.retry_interval is not None and self.retry_interval > self.interval:
            raise ValueError(_("retry_interval must not be longer than interval"))
        return self


class HttpCheck(_CheckBase):
    type: Literal["http"]
    url: HttpUrl
    method: Literal["GET", "HEAD", "POST", "PUT", "OPTIONS"] = "GET"
    headers: dict[str, str] = Field(default_factory=dict)
    body: str | None = Field(default=None, max_length=65_536)
    expect_status: tuple[int, ...] = Field(default=(200,), description="Accepted status codes.")
    body_contains: tuple[str, ...] = ()
    body_regex: str | None = None
    json_path_equals: dict[str, str | int | float | bool | None] = Field(
        default_factory=dict, description="Dotted path in a JSON body -> expected value."
    )
    header_equals: dict[str, str] = Field(default_factory=dict)
    max_latency_ms: float | None = Field(default=None, gt=0)
    follow_redirects: bool = False
    verify_tls: bool = True
    ca_file: str | None = Field(default=None, description="PEM bundle of trusted CAs.")
    max_body_bytes: int = Field(default=1_048_576, ge=0, le=67_108_864)


class TlsCheck(_CheckBase):
    type: Literal["tls"]
    host: Host
    port: Port = 443
    server_name: str | None = None
    warn_days: int = Field(default=21, ge=0)
    critical_days: int = Field(default=7, ge=0)
    expect_issuer: str | None = Field(default=None, description="Text the issuer name contains.")
    spki_pin_sha256: tuple[str, ...] = Field(
        default=(), description="Accepted base64 SHA-256 pins of the leaf's public key."
    )
    ca_file: str | None = None


class DnsCheck(_CheckBase):
    type: Literal["dns"]
    resolver: Host
    port: Port = 53
    transport: Literal["udp", "tcp"] = "udp"
    query: str = Field(min_length=1, max_length=253, description="The name to resolve.")
    record_type: Literal["A", "AAAA", "CNAME", "MX", "NS", "TXT", "SOA"] = "A"
    expect: tuple[str, ...] = Field(default=(), description="Expected answers (the whole set).")
    match: Literal["exact", "contains"] = "exact"
    expect_rcode: str = "NOERROR"
    dnssec: bool = False
    max_latency_ms: float | None = Field(default=None, gt=0)


class TcpCheck(_CheckBase):
    type: Literal["tcp"]
    host: Host
    port: Port
    send: str | None = Field(default=None, max_length=4096)
    expect_regex: str | None = None
    tls: bool = False
    server_name: str | None = None
    ca_file: str | None = None


class IcmpCheck(_CheckBase):
    type: Literal["icmp"]
    host: Host
    count: int = Field(default=3, ge=1, le=20)
    max_loss_percent: float = Field(default=34, ge=0, le=100)
    max_rtt_ms: float | None = Field(default=None, gt=0)


class SipCheck(_CheckBase):
    type: Literal["sip"]
    host: Host
    port: Port = 5060
    transport: Literal["udp", "tcp"] = "udp"
    uri: str | None = Field(default=None, description="Request-URI; default sip:host:port.")
    accept_codes: tuple[int, ...] = (200,)


class SmtpCheck(_CheckBase):
    type: Literal["smtp"]
    host: Host
    port: Port = 25
    starttls: Literal["auto", "require", "off"] = "auto"
    expect_banner_regex: str | None = None
    expect_capabilities: tuple[str, ...] = ()
    ehlo_name: str = "garrison.invalid"
    ca_file: str | None = None


class ContentCheck(_CheckBase):
    """Page integrity (defacement): text and structure compared with an approved baseline."""

    type: Literal["content"]
    url: HttpUrl
    change_threshold: float = Field(
        default=0.3, gt=0, le=1, description="Share of the visible text that may change."
    )
    forbidden_phrases: tuple[str, ...] = DEFAULT_FORBIDDEN_PHRASES
    allowed_origins: tuple[str, ...] = Field(
        default=(), description="Extra origins (scheme://host[:port]) scripts/iframes may use."
    )
    verify_tls: bool = True
    ca_file: str | None = None
    max_body_bytes: int = Field(default=2_097_152, ge=1, le=67_108_864)


class HeartbeatCheck(_CheckBase):
    """A push check: an outside job must call its URL at least every ``interval`` seconds."""

    type: Literal["heartbeat"]
    token: str | None = Field(
        default=None,
        min_length=16,
        description="Secret in the heartbeat URL; generated and kept in the database if absent.",
    )


Check = Annotated[
    HttpCheck
    | TlsCheck
    | DnsCheck
    | TcpCheck
    | IcmpCheck
    | SipCheck
    | SmtpCheck
    | ContentCheck
    | HeartbeatCheck,
    Field(discriminator="type"),
]

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class Recurrence(FrozenModel):
    """A window repeating on given weekdays, in the event's time zone (DST-aware)."""

    days: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    start_time: time
    end_time: time = Field(description="May be earlier than start_time: the window ends next day.")


class MaintenanceWindow(FrozenModel):
    id: Identifier
    services: tuple[Identifier, ...] = ()
    checks: tuple[Identifier, ...] = ()
    start: EventTime | None = Field(default=None, description="One-off window start.")
    end: EventTime | None = None
    recurrence: Recurrence | None = None
    reason: Text = ""

    @model_validator(mode="after")
    def _one_kind(self) -> MaintenanceWindow:
        one_off = self.start is not None or self.end is not None
        if one_off == (self.recurrence is not None):
            raise ValueError(_("give either start and end, or recurrence"))
        if one_off and (self.start is None or self.end is None or self.end <= self.start):
            raise ValueError(_("a one-off window needs a start before its end"))
        if not self.services and not self.checks:
            raise ValueError(_("name at least one service or check"))
        return self


class FlappingSettings(FrozenModel):
    window: Seconds = Field(default=600, description="Seconds over which changes are counted.")
    max_changes: int = Field(default=5, ge=2, description="More changes than this: FLAPPING.")


class ProbeSettings(FrozenModel):
    location: Identifier = Field(default="local", description="Name of this Garrison's location.")
    retention_days: float = Field(default=7, gt=0, le=3650, description="Raw results kept.")
    flapping: FlappingSettings = FlappingSettings()
    down_quorum: dict[Identifier, int] = Field(
        default_factory=dict,
        description="Service id -> number of locations that must see it down (k of n).",
    )
