"""The drill worker: injects what is due on ``context.clock``, woken by ``DrillStarted``.
Each inject runs in its own transaction; a failing inject is recorded on it.

Detection injects are evaluated against the configuration's detection rules (loaded once,
when the first one is due). Their incidents are opened by the incident worker from the
announced ``DetectionAlertRaised``; the drill worker links them to their injects when a
drill incident opens (``IncidentOpened``) and at each round, so a restart loses no link.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from garrison.bus.abc import Subscription
from garrison.clock import sleep_or_wake
from garrison.config.detection import DetectionSettings
from garrison.drills.detection import DrillRules
from garrison.drills.events import DrillStarted
from garrison.drills.models import DrillInjectRecord
from garrison.drills.service import (
    LINK_WINDOW,
    due_injects,
    inject,
    link_detection_incidents,
    next_due,
    unlinked_detections,
)
from garrison.duty.source import configured_event
from garrison.errors import GarrisonError
from garrison.incidents.events import IncidentOpened
from garrison.incidents.outbox import commit_and_publish
from garrison.runtime.context import AppContext

logger = logging.getLogger(__name__)

IDLE_SECONDS = 60.0
LINK_SECONDS = 5.0  # while a detection inject waits for its incident


class DrillWorker:
    name = "drills"

    def __init__(self, context: AppContext, *, rules: DrillRules | None = None) -> None:
        self.context = context
        self._wake = asyncio.Event()
        self._rules = rules

    async def run(self, started: Callable[[], None]) -> None:
        bus = self.context.bus
        started_drills = bus.subscribe(DrillStarted, consumer="drills.started")
        opened = bus.subscribe(IncidentOpened, consumer="drills.incident_opened")
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self._ring_on(started_drills))
                group.create_task(self._ring_on_drill_incidents(opened))
                started()
                group.create_task(self._inject_forever())
        finally:
            await started_drills.close()
            await opened.close()

    async def _ring_on(self, subscription: Subscription[DrillStarted]) -> None:
        async for _event in subscription:
            self._wake.set()

    async def _ring_on_drill_incidents(self, subscription: Subscription[IncidentOpened]) -> None:
        async for event in subscription:
            if event.is_drill:
                self._wake.set()

    def rules(self) -> DrillRules | None:
        """The detection rules of the configuration Garrison runs with (read once); None
        while the configuration cannot be read (the inject records why it failed)."""
        if self._rules is None:
            settings = self.context.settings
            config_file = settings.config_file
            try:
                detection = (
                    configured_event(settings).detection if config_file else DetectionSettings()
                )
            except GarrisonError as exc:
                logger.warning("drills: the detection rules cannot be read: %s", exc)
                return None
            base_dir = config_file.parent if config_file else None
            self._rules = DrillRules(detection, base_dir=base_dir)
        return self._rules

    async def _inject_forever(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("drill injection failed; trying again shortly")
            await self._sleep()

    async def _sleep(self) -> None:
        delay = IDLE_SECONDS
        async with self.context.sessions() as session:
            due = await next_due(session)
            since = self.context.clock.now() - LINK_WINDOW
            waiting = bool(await unlinked_detections(session, since=since))
        if due is not None:
            delay = min(delay, (due - self.context.clock.now()).total_seconds())
        if waiting:
            delay = min(delay, LINK_SECONDS)
        if delay <= 0:
            return
        await sleep_or_wake(self.context.clock, delay, self._wake)

    async def run_once(self) -> list[int]:
        """Inject every due inject, then link detection injects to their incidents;
        returns the ids of the inject records injected."""
        now = self.context.clock.now()
        async with self.context.sessions() as session:
            due = await due_injects(session, now=now)
        for record_id in due:
            try:
                async with self.context.sessions() as session:
                    record = await session.get_one(DrillInjectRecord, record_id)
                    rules = self.rules() if record.kind == "detection" else None
                    await inject(session, record=record, now=now, rules=rules)
                    await commit_and_publish(session, self.context.bus)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("drill inject %d failed", record_id)
        async with self.context.sessions() as session:
            if await link_detection_incidents(session, now=now):
                await session.commit()
        return due
