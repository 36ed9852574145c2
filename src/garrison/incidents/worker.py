"""The incident worker: service states and detection alerts from the bus become alerts.

At start it subscribes (so nothing published after "started" is missed), mirrors the
``incidents`` section of the configuration (rules and integrations) into the
database, then reports started. Each event is ingested in its own transaction; an
event that fails is retried for temporary database errors, then logged and counted:
one bad event never stops the loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.exc import StaleDataError

from garrison.audit.actor import Actor
from garrison.bus.abc import Subscription
from garrison.bus.events import DomainEvent
from garrison.config import load_config
from garrison.config.incidents import IncidentsConfig
from garrison.detection.events import DetectionAlertRaised
from garrison.errors import ConflictError
from garrison.incidents.bus_signals import signal_from_detection, signal_from_service_state
from garrison.incidents.ingest import SignalResult, ingest_signals
from garrison.incidents.integrations import sync_config_integrations
from garrison.incidents.outbox import commit_and_publish
from garrison.incidents.policy import load_policy, sync_policy
from garrison.incidents.signals import IncomingSignal
from garrison.probes.events import ServiceStateChanged
from garrison.runtime.context import AppContext

logger = logging.getLogger(__name__)

E = TypeVar("E", bound=DomainEvent)

CONSUMER = "incidents"
ATTEMPTS = 3
_TEMPORARY = (DBAPIError, StaleDataError, ConflictError)


class IncidentWorker:
    name = "incidents"

    def __init__(self, context: AppContext) -> None:
        self.context = context
        self.processed = 0
        self.failed = 0
        self._progress = asyncio.Condition()

    async def run(self, started: Callable[[], None]) -> None:
        bus = self.context.bus
        states = bus.subscribe(ServiceStateChanged, consumer=CONSUMER)
        detections = bus.subscribe(DetectionAlertRaised, consumer=CONSUMER)
        try:
            await self.sync_configuration()
            started()
            async with asyncio.TaskGroup() as group:
                group.create_task(self._consume(states, self._service_state))
                group.create_task(self._consume(detections, self._detection))
        finally:
            await states.close()
            await detections.close()

    async def sync_configuration(self) -> None:
        """Mirror the configuration's ``incidents`` section (when Garrison has a file)."""
        path = self.context.settings.config_file
        if path is None:
            return
        loaded = await asyncio.to_thread(load_config, path)
        await self.apply_configuration(loaded.config.incidents)

    async def apply_configuration(self, config: IncidentsConfig) -> None:
        now = self.context.clock.now()
        actor = Actor.system("config-sync")
        async with self.context.sessions() as session:
            changed_policy = await sync_policy(session, config=config, actor=actor, now=now)
            changed = await sync_config_integrations(
                session, configured=config.integrations, actor=actor, now=now
            )
            await session.commit()
        if changed_policy or changed:
            logger.info("incident configuration synced: %d integrations changed", len(changed))

    async def wait_processed(self, count: int) -> None:
        """Until ``count`` events have been handled (ingested or given up on)."""
        async with self._progress:
            await self._progress.wait_for(lambda: self.processed + self.failed >= count)

    async def _consume(
        self, subscription: Subscription[E], handle: Callable[[E], Awaitable[object]]
    ) -> None:
        async for event in subscription:
            try:
                await self._with_retries(event, handle)
                self.processed += 1
            except asyncio.CancelledError:
                raise
            except Exception:
                self.failed += 1
                logger.exception("incident worker could not ingest %s", event.topic)
            async with self._progress:
                self._progress.notify_all()

    async def _with_retries(self, event: E, handle: Callable[[E], Awaitable[object]]) -> None:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                await handle(event)
                return
            except _TEMPORARY:
                if attempt == ATTEMPTS:
                    raise
                logger.warning("incident worker retrying %s (attempt %d)", event.topic, attempt)
                await asyncio.sleep(0.05 * attempt)

    async def _service_state(self, event: ServiceStateChanged) -> list[SignalResult]:
        signal = signal_from_service_state(event)
        return await self._ingest([signal])

    async def _detection(self, event: DetectionAlertRaised) -> list[SignalResult]:
        async with self.context.sessions() as session:
            policy = await load_policy(session)
        return await self._ingest([signal_from_detection(event, policy)])

    async def _ingest(self, signals: list[IncomingSignal]) -> list[SignalResult]:
        async with self.context.sessions() as session:
            results = await ingest_signals(session, signals=signals, now=self.context.clock.now())
            await commit_and_publish(session, self.context.bus)
        return results
