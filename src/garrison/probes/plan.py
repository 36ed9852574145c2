"""What the engine watches, taken once from the event configuration."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from garrison.config.checks import Check, MaintenanceWindow, Recurrence
from garrison.config.models import EventConfig, RedundancyRole, Service
from garrison.probes.maintenance import WeeklyRecurrence, Window


@dataclass(frozen=True, slots=True)
class ProbePlan:
    checks: dict[str, Check]
    """Enabled checks that run from this location, by id."""
    services: dict[str, Service]
    zone: ZoneInfo
    location: str
    retention_days: float
    flapping_window: float
    flapping_max_changes: int
    down_quorum: dict[str, int]
    config_windows: tuple[Window, ...]
    checks_by_service: dict[str, tuple[Check, ...]]

    @classmethod
    def from_config(cls, config: EventConfig) -> ProbePlan:
        probes = config.probes
        checks = {
            check.id: check
            for check in config.checks
            if check.enabled and probes.location in check.locations
        }
        by_service: dict[str, list[Check]] = {}
        for check in checks.values():
            if check.service is not None:
                by_service.setdefault(check.service, []).append(check)
        return cls(
            checks=checks,
            services={service.id: service for service in config.services},
            zone=config.event.zone,
            location=probes.location,
            retention_days=probes.retention_days,
            flapping_window=probes.flapping.window,
            flapping_max_changes=probes.flapping.max_changes,
            down_quorum=dict(probes.down_quorum),
            config_windows=tuple(window_from_config(window) for window in config.maintenance),
            checks_by_service={key: tuple(value) for key, value in by_service.items()},
        )

    def checks_of(self, service_id: str) -> tuple[Check, ...]:
        return self.checks_by_service.get(service_id, ())

    def quorum_for(self, check: Check) -> int:
        """Locations that must see the check down (k of n), never more than it runs from."""
        wanted = self.down_quorum.get(check.service, 1) if check.service else 1
        return max(1, min(wanted, len(check.locations)))

    def is_primary(self, service_id: str) -> bool:
        redundancy = self.services[service_id].redundancy
        return redundancy is not None and redundancy.role == RedundancyRole.PRIMARY


def window_from_config(window: MaintenanceWindow) -> Window:
    return make_window(
        window_id=window.id,
        services=window.services,
        checks=window.checks,
        start=window.start,
        end=window.end,
        recurrence=window.recurrence,
        reason=window.reason,
    )


def make_window(
    *,
    window_id: str,
    services: Iterable[str],
    checks: Iterable[str],
    start: datetime | None,
    end: datetime | None,
    recurrence: Recurrence | None,
    reason: str,
) -> Window:
    weekly = None
    if recurrence is not None:
        weekly = WeeklyRecurrence(
            days=frozenset(recurrence.days),
            start_time=recurrence.start_time,
            end_time=recurrence.end_time,
        )
    return Window(
        id=window_id,
        services=frozenset(services),
        checks=frozenset(checks),
        start=start,
        end=end,
        recurrence=weekly,
        reason=reason,
    )
