"""What the probe engine tells the rest of Garrison, over the bus."""

from __future__ import annotations

import dataclasses

from garrison.bus.events import DomainEvent


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class CheckStateChanged(DomainEvent):
    topic = "garrison.probes.check_state_changed"

    check_id: str
    service_id: str | None
    previous: str  # a CheckState value
    current: str  # a CheckState value
    reason: str
    # The results that confirmed the change, newest first, as JSON-ready dicts:
    # {"location", "ok", "reason", "latency_ms", "started_at"}.
    evidence: tuple[dict[str, object], ...] = ()
    # The check was covered by a maintenance window when it changed.
    in_maintenance: bool = False


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class ServiceStateChanged(DomainEvent):
    topic = "garrison.probes.service_state_changed"

    service_id: str
    previous: str  # a ServiceState value
    current: str  # a ServiceState value
    reason: str
    # For UNREACHABLE: the service whose outage this one is accounted to.
    caused_by: str | None = None
    in_maintenance: bool = False
    # check_id -> CheckState value, for every check of the service at the time of the change.
    checks: dict[str, str] = dataclasses.field(default_factory=dict)
    evidence: tuple[dict[str, object], ...] = ()
