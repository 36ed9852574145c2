"""What the detection pipeline tells the rest of Garrison, over the bus."""

from __future__ import annotations

import dataclasses

from garrison.bus.events import DomainEvent


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class DetectionAlertRaised(DomainEvent):
    """A rule, detector or threat-intelligence list matched.

    The Detection Rule License requires the rule's author to be shown wherever its
    matches are shown: ``rule_author`` and ``rule_license`` travel with every alert.
    """

    topic = "garrison.detection.alert_raised"

    alert_id: str
    fingerprint: str  # same rule + same grouping values -> same fingerprint (deduplication)
    rule_id: str
    rule_title: str
    rule_level: str  # informational | low | medium | high | critical
    rule_author: str
    rule_license: str
    source: str  # the ingestion source name, e.g. "syslog-udp", "nginx-portal"
    # A security category of DOMAIN.md: denial_of_service, spoofing, malware,
    # unauthorised_access, defacement, ransomware, data_destruction, data_theft,
    # combined, other.
    category: str
    summary: str
    source_address: str | None = None
    service_id: str | None = None
    matched_fields: dict[str, object] = dataclasses.field(default_factory=dict)
    # The matching events (normalised fields), at most a few, newest last.
    events: tuple[dict[str, object], ...] = ()
    is_drill: bool = False
    # A drill's alert: run_id, inject, announced, notify_leadership (``garrison.drills``).
    drill: dict[str, object] | None = None
