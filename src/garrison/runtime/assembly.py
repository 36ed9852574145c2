"""Builds the shared objects of a running Garrison, and takes them down again."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from prometheus_client import CollectorRegistry

from garrison.bus.abc import Bus
from garrison.bus.memory import InProcessBus
from garrison.clock import Clock, SystemClock
from garrison.runtime.context import AppContext
from garrison.settings import Settings
from garrison.storage.engine import capabilities_for, create_engine, create_session_factory
from garrison.telemetry.instruments import register_core_metrics


@contextlib.asynccontextmanager
async def open_context(
    settings: Settings, *, clock: Clock | None = None, bus: Bus | None = None
) -> AsyncIterator[AppContext]:
    url = settings.resolved_database_url
    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)
    own_bus = bus is None
    registry = CollectorRegistry()
    context = AppContext(
        settings=settings,
        engine=engine,
        sessions=create_session_factory(engine),
        bus=bus if bus is not None else InProcessBus(),
        clock=clock if clock is not None else SystemClock(),
        capabilities=capabilities_for(url),
        registry=registry,
        metrics=register_core_metrics(registry),
    )
    try:
        yield context
    finally:
        if own_bus:
            await context.bus.close()
        await engine.dispose()
