"""What the API asks of the running engine, over the bus (the engine may run elsewhere).

The API stores the change first (and audits it); the command only tells the
engine to act on it now. An engine that starts later reads the stored state.
"""

from __future__ import annotations

import dataclasses

from garrison.bus.events import DomainEvent


@dataclasses.dataclass(frozen=True, kw_only=True)
class ProbeCommand(DomainEvent):
    """Base of the engine's commands; subscribe to it to receive them all."""

    check_id: str = ""


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class CheckRunRequested(ProbeCommand):
    topic = "garrison.probes.check_run_requested"


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class CheckPauseChanged(ProbeCommand):
    topic = "garrison.probes.check_pause_changed"

    paused: bool
    reason: str = ""


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class MaintenanceChanged(ProbeCommand):
    topic = "garrison.probes.maintenance_changed"

    window_id: str


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class BaselineApproved(ProbeCommand):
    topic = "garrison.probes.baseline_approved"


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class HeartbeatReceived(ProbeCommand):
    topic = "garrison.probes.heartbeat_received"


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class ChecksChanged(ProbeCommand):
    """The configured checks or maintenance windows were synced again: re-read them."""

    topic = "garrison.probes.checks_changed"

    digest: str = ""  # the synced configuration's digest
