"""The incident worker: service states and detection alerts from the bus become alerts.

At start it subscribes (so nothing published after "started" is missed), mirrors the
``incidents`` section of the configuration (rules and integrations) into the
database, then reports started. The events that queued while a batch was ingested
are ingested together in one transaction (one claim, one policy read, one lookup of
firing alerts); a batch that fails is retried for temporary database errors, then
each of its events on its own, retried too, then logged and counted: one bad event
never stops the loop nor takes its batch with it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
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
from garrison.incidents.ingest import ingest_built
from garrison.incidents.integrations import sync_config_integrations
from garrison.incidents.outbox import commit_and_publish
from garrison.incidents.policy import sync_policy
from garrison.incidents.signal_records import SignalResult
from garrison.incidents.signals import IncomingSignal
from garrison.probes.events import ServiceStateChanged
from garrison.runtime.context import AppContext

logger = logging.getLogger(__name__)

E = TypeVar("E", bound=DomainEvent)

CONSUMER = "incidents"
ATTEMPTS = 3
BATCH_EVENTS = 200  # events of one topic ingested in one transaction, at most
QUEUE_EVENTS = 10_000  # events held between the bus and ingestion
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
                group.create_task(self._consume(states, _service_state))
                group.create_task(self._consume(detections, signal_from_detection))
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
        self,
        subscription: Subscription[E],
        to_signal: Callable[[E, IncidentsConfig], IncomingSignal],
    ) -> None:
        """Events as they come, ingested by batches of what has queued meanwhile."""
        queue: asyncio.Queue[E] = asyncio.Queue(maxsize=QUEUE_EVENTS)
        async with asyncio.TaskGroup() as group:
            group.create_task(self._read(subscription, queue))
            while True:
                batch = [await queue.get()]
                while len(batch) < BATCH_EVENTS and not queue.empty():
                    batch.append(queue.get_nowait())
                await self._handle_batch(batch, to_signal)
                async with self._progress:
                    self._progress.notify_all()

    @staticmethod
    async def _read(subscription: Subscription[E], queue: asyncio.Queue[E]) -> None:
        async for event in subscription:
            await queue.put(event)

    async def _handle_batch(
        self, batch: list[E], to_signal: Callable[[E, IncidentsConfig], IncomingSignal]
    ) -> None:
        """One transaction for the batch; when it fails, each event on its own."""
        if len(batch) > 1:
            try:
                await self._with_retries(batch, to_signal)
                self.processed += len(batch)
                return
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("incident worker batch of %d failed: one by one", len(batch))
        for event in batch:
            try:
                await self._with_retries([event], to_signal)
                self.processed += 1
            except asyncio.CancelledError:
                raise
            except Exception:
                self.failed += 1
                logger.exception("incident worker could not ingest %s", event.topic)

    async def _with_retries(
        self, events: list[E], to_signal: Callable[[E, IncidentsConfig], IncomingSignal]
    ) -> None:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                await self._ingest(events, to_signal)
                return
            except _TEMPORARY:
                if attempt == ATTEMPTS:
                    raise
                logger.warning(
                    "incident worker retrying %d events (attempt %d)", len(events), attempt
                )
                await asyncio.sleep(0.05 * attempt)

    async def _ingest(
        self, events: list[E], to_signal: Callable[[E, IncidentsConfig], IncomingSignal]
    ) -> list[SignalResult]:
        async with self.context.sessions() as session:
            results = await ingest_built(
                session,
                build=lambda policy: [to_signal(event, policy) for event in events],
                count=len(events),
                now=self.context.clock.now(),
            )
            await commit_and_publish(session, self.context.bus)
        return results


def _service_state(event: ServiceStateChanged, _policy: IncidentsConfig) -> IncomingSignal:
    return signal_from_service_state(event)
