"""The objects a running Garrison shares between its web app and its workers."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from garrison.bus.abc import Bus
from garrison.clock import Clock
from garrison.settings import Settings
from garrison.storage.engine import Capabilities
from garrison.telemetry.instruments import CoreMetrics


@dataclass(slots=True)
class WorkerHealth:
    """What /readyz reports about the background workers."""

    expected: tuple[str, ...] = ()
    running: set[str] = field(default_factory=set)
    stopping: bool = False

    @property
    def all_running(self) -> bool:
        return not self.stopping and set(self.expected) <= self.running


@dataclass(slots=True)
class AppContext:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    bus: Bus
    clock: Clock
    capabilities: Capabilities
    registry: CollectorRegistry
    metrics: CoreMetrics
    workers: WorkerHealth = field(default_factory=WorkerHealth)
