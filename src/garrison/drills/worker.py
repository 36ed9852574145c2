"""The drill worker: injects what is due on ``context.clock``, woken by ``DrillStarted``.
Each inject runs in its own transaction; a failing inject is recorded on it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from garrison.bus.abc import Subscription
from garrison.drills.events import DrillStarted
from garrison.drills.models import DrillInjectRecord
from garrison.drills.service import due_injects, inject, next_due
from garrison.incidents.outbox import commit_and_publish
from garrison.runtime.context import AppContext

logger = logging.getLogger(__name__)

IDLE_SECONDS = 60.0


class DrillWorker:
    name = "drills"

    def __init__(self, context: AppContext) -> None:
        self.context = context
        self._wake = asyncio.Event()

    async def run(self, started: Callable[[], None]) -> None:
        started_drills = self.context.bus.subscribe(DrillStarted, consumer="drills.started")
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self._ring_on(started_drills))
                started()
                group.create_task(self._inject_forever())
        finally:
            await started_drills.close()

    async def _ring_on(self, subscription: Subscription[DrillStarted]) -> None:
        async for _event in subscription:
            self._wake.set()

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
        if due is not None:
            delay = min(delay, (due - self.context.clock.now()).total_seconds())
        if delay <= 0:
            return
        waker = asyncio.create_task(self._wake.wait())
        timer = asyncio.create_task(self.context.clock.sleep(delay))
        try:
            await asyncio.wait({waker, timer}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waker.cancel()
            timer.cancel()

    async def run_once(self) -> list[int]:
        """Inject every due inject; returns the ids of the inject records handled."""
        now = self.context.clock.now()
        async with self.context.sessions() as session:
            due = await due_injects(session, now=now)
        for record_id in due:
            try:
                async with self.context.sessions() as session:
                    record = await session.get_one(DrillInjectRecord, record_id)
                    await inject(session, record=record, now=now)
                    await commit_and_publish(session, self.context.bus)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("drill inject %d failed", record_id)
        return due
