"""The `detection` section: where security logs come from and how they are held.

Each source has a unique ``name``, a ``parser`` and the Sigma ``logsource`` tag used to
route its events to the rules that apply. Listeners bind to 127.0.0.1 unless told
otherwise. Sizes are counted in events or bytes; every one has an upper bound.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator

from garrison.config.checks import Host, Port, Seconds
from garrison.config.detection_rules import (
    DetectorSettings,
    Placeholders,
    RuleOverrides,
    RulePaths,
    ThreatIntelLists,
)
from garrison.config.fields import Identifier, TimezoneName
from garrison.config.models_base import FrozenModel
from garrison.i18n import gettext as _

# The one list of parser names: garrison.detection.parsers.PARSER_NAMES is read from it.
ParserName = Literal[
    "auto",
    "syslog",
    "json",
    "windows",
    "nginx_access",
    "apache_access",
    "nginx_error",
    "apache_error",
    "sshd",
    "pam",
    "postfix",
    "dovecot",
    "courier",
    "exim",
    "asterisk",
    "freeswitch",
    "openvpn",
    "vsftpd",
    "proftpd",
    "pure_ftpd",
]
LogSourceValue = Annotated[
    str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_.-]*$")
]


class LogSourceTag(FrozenModel):
    """Sigma's logsource triple; an unset key is filled by the parser when it knows better."""

    product: LogSourceValue | None = None
    service: LogSourceValue | None = None
    category: LogSourceValue | None = None


class TlsFiles(FrozenModel):
    cert_file: Path = Field(description="PEM certificate (chain) the listener presents.")
    key_file: Path = Field(description="PEM private key of that certificate.")


class _SourceBase(FrozenModel):
    name: Identifier
    parser: ParserName = "auto"
    logsource: LogSourceTag = LogSourceTag()
    timezone: TimezoneName = Field(
        default="UTC", description="Zone of timestamps that carry no offset (classic syslog)."
    )
    enabled: bool = True
    service: Identifier | None = Field(
        default=None,
        description="The service whose logs these are: its alerts are grouped and escalated "
        "with that service's incidents.",
    )


class SyslogUdpSource(_SourceBase):
    type: Literal["syslog_udp"]
    bind: Host = "127.0.0.1"
    port: Port


class SyslogTcpSource(_SourceBase):
    """Syslog over TCP: octet-counting (RFC 6587) and newline framing, TLS when configured."""

    type: Literal["syslog_tcp"]
    bind: Host = "127.0.0.1"
    port: Port
    tls: TlsFiles | None = None
    max_connections: int = Field(default=256, ge=1, le=10_000)


class HttpSource(_SourceBase):
    """Bulk ingest at ``POST /api/v1/ingest/{name}`` (JSON, NDJSON, gzip)."""

    type: Literal["http"]


class FileSource(_SourceBase):
    """A log file followed across rotation; its offset is kept in the database."""

    type: Literal["file"]
    path: Path
    start_at: Literal["beginning", "end"] = Field(
        default="end", description="Where to start reading a file seen for the first time."
    )
    poll_interval: Seconds = Field(default=1.0, description="Seconds between checks for news.")


LogSourceConfig = Annotated[
    SyslogUdpSource | SyslogTcpSource | HttpSource | FileSource, Field(discriminator="type")
]


class IngestQueues(FrozenModel):
    pipeline_events: int = Field(
        default=10_000, ge=10, le=1_000_000, description="Events held between ingest and rules."
    )
    pipeline_bytes: int = Field(
        default=67_108_864,
        ge=1_048_576,
        le=4_294_967_296,
        description="Approximate memory the queued events may take (bytes).",
    )
    store_events: int = Field(
        default=20_000, ge=10, le=1_000_000, description="Events waiting to be written."
    )
    store_bytes: int = Field(
        default=67_108_864,
        ge=1_048_576,
        le=4_294_967_296,
        description="Approximate memory the events waiting to be written may take (bytes).",
    )
    batch_events: int = Field(default=500, ge=1, le=10_000)
    udp_intake_datagrams: int = Field(
        default=20_000,
        ge=100,
        le=1_000_000,
        description="Datagrams each syslog UDP source may hold read but not parsed yet.",
    )


class IngestLimits(FrozenModel):
    max_event_bytes: int = Field(
        default=65_536, ge=1024, le=1_048_576, description="Longer lines are truncated."
    )
    max_json_depth: int = Field(default=32, ge=2, le=200)
    max_decompressed_bytes: int = Field(
        default=8_388_608, ge=65_536, le=134_217_728, description="Largest gzip body unpacked."
    )
    max_request_events: int = Field(default=10_000, ge=1, le=100_000)


class DetectionSettings(FrozenModel):
    sources: tuple[LogSourceConfig, ...] = ()
    retention_days: int = Field(
        default=7, ge=1, le=400, description="Days raw events stay searchable."
    )
    queues: IngestQueues = IngestQueues()
    limits: IngestLimits = IngestLimits()
    # The rule engine's keys (`rules`, `rule_overrides`, `threat_intel`) go below this line.
    rules: RulePaths = ()
    rule_overrides: RuleOverrides = Field(default_factory=dict)
    placeholders: Placeholders = Field(default_factory=dict)
    threat_intel: ThreatIntelLists = ()
    detectors: DetectorSettings = DetectorSettings()

    @model_validator(mode="after")
    def _unique_sources(self) -> DetectionSettings:
        names = Counter(source.name for source in self.sources)
        twice = sorted(name for name, count in names.items() if count > 1)
        if twice:
            raise ValueError(
                _("source names must be unique; used more than once: {names}").format(
                    names=", ".join(twice)
                )
            )
        listeners = Counter(
            (source.type, source.bind, source.port)
            for source in self.sources
            if isinstance(source, SyslogUdpSource | SyslogTcpSource)
        )
        clashes = sorted(
            f"{kind} {bind}:{port}" for (kind, bind, port), n in listeners.items() if n > 1
        )
        if clashes:
            raise ValueError(
                _("two sources listen on the same address: {listeners}").format(
                    listeners=", ".join(clashes)
                )
            )
        return self
