"""What the rule engine, the detectors and the threat-intelligence lists report: findings.

A finding is one match, before deduplication and storage turn it into an alert. Every
finding names its rule with the author and licence: the Detection Rule License asks for
the author wherever a match is shown.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from garrison.detection.records import LogEvent

GARRISON_AUTHOR = "Garrison"
# Our own rules and detectors ship under Garrison's licence (see docs/detection.md).
GARRISON_LICENSE = "LicenseRef-Garrison"


class Level(StrEnum):
    INFORMATIONAL = "informational"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class FindingKind(StrEnum):
    RULE = "rule"
    CORRELATION = "correlation"
    DETECTOR = "detector"
    INTEL = "intel"


@dataclass(frozen=True, slots=True)
class RuleInfo:
    """Who wrote a rule and what it says about itself."""

    id: str
    title: str
    level: str
    author: str
    license: str
    category: str = "other"
    name: str | None = None
    description: str = ""
    path: str = ""
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Finding:
    rule: RuleInfo
    kind: FindingKind
    at: datetime
    events: tuple[LogEvent, ...]
    event_seqs: tuple[int, ...]
    matched_fields: Mapping[str, object] = field(default_factory=dict)
    # The values that make two findings of one rule "the same" (deduplication).
    group: tuple[tuple[str, str], ...] = ()
    summary: str = ""
    source_address: str | None = None

    @property
    def fingerprint(self) -> str:
        digest = hashlib.sha256(self.rule.id.encode())
        for key, value in self.group:
            digest.update(b"\x00" + key.encode() + b"\x01" + value.encode())
        return digest.hexdigest()

    @property
    def source(self) -> str:
        return self.events[-1].source if self.events else ""


def event_time(event: LogEvent) -> datetime:
    """When an event happened: its own timestamp if the log says, else when we got it."""
    return event.timestamp if event.timestamp is not None else event.received_at


# Field names that carry the address a finding is about, most specific first.
ADDRESS_FIELDS = (
    "source_address",
    "c-ip",
    "src_ip",
    "SourceIp",
    "IpAddress",
    "SourceAddress",
    "client_ip",
    "ClientIP",
    "remote_addr",
    "src",
)


def source_address_of(fields: Mapping[str, object]) -> str | None:
    for name in ADDRESS_FIELDS:
        value = fields.get(name)
        if isinstance(value, str) and value and value != "-":
            return value[:64]
    return None
