"""The states a check and a service can be in."""

from __future__ import annotations

from enum import StrEnum


class CheckState(StrEnum):
    UNKNOWN = "unknown"  # no confirmed result yet
    UP = "up"
    DOWN = "down"
    FLAPPING = "flapping"  # too many changes in the window: reported once, not as a stream
    PAUSED = "paused"


class ServiceState(StrEnum):
    UNKNOWN = "unknown"
    UP = "up"
    DEGRADED = "degraded"  # still serving, margin lost (a redundant path or a check is down)
    DOWN = "down"
    UNREACHABLE = "unreachable"  # a service it depends on is down: no alert of its own
    MAINTENANCE = "maintenance"  # in a maintenance window: measured, never alerted
