"""The readiness worker: attaches runbooks to incidents that match a plan (on
``IncidentOpened``) and sends task reminders on ``context.clock``. Each incident and task
is handled in its own transaction; one failing is logged and the loop goes on."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select

from garrison.bus.abc import Subscription
from garrison.config import EventConfig
from garrison.duty.source import EventLoader, read_event, running_event
from garrison.incidents.events import IncidentOpened
from garrison.incidents.models import Alert, Incident
from garrison.incidents.outbox import commit_and_publish
from garrison.readiness.models import ReadinessTask
from garrison.readiness.plans import attach_runbooks
from garrison.readiness.tasks import remind, tasks_to_remind
from garrison.runtime.context import AppContext

logger = logging.getLogger(__name__)

REMINDER_SECONDS = 60.0


class ReadinessWorker:
    name = "readiness"

    def __init__(self, context: AppContext, *, load_event: EventLoader | None = None) -> None:
        self.context = context
        self._load_event = load_event or (lambda: running_event(self.context.settings))

    def _config(self) -> EventConfig | None:
        return read_event(self._load_event, waiting="runbooks and readiness reminders")

    async def run(self, started: Callable[[], None]) -> None:
        opened = self.context.bus.subscribe(IncidentOpened, consumer="readiness.runbooks")
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self._attach_on(opened))
                started()
                group.create_task(self._remind_forever())
        finally:
            await opened.close()

    async def _attach_on(self, subscription: Subscription[IncidentOpened]) -> None:
        async for event in subscription:
            try:
                await self.attach(event.incident_id)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("runbooks could not be attached to incident %d", event.incident_id)

    async def attach(self, incident_id: int) -> list[str]:
        config = self._config()
        if config is None:
            return []
        async with self.context.sessions() as session:
            incident = await session.get(Incident, incident_id)
            if incident is None:
                return []
            query = select(Alert.source).where(Alert.incident_id == incident_id)
            sources = sorted(set((await session.scalars(query)).all()))
            attached = await attach_runbooks(
                session,
                config=config,
                incident=incident,
                sources=sources,
                now=self.context.clock.now(),
            )
            await commit_and_publish(session, self.context.bus)
        return [checklist.plan_id for checklist in attached]

    async def _remind_forever(self) -> None:
        while True:
            try:
                await self.remind_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("readiness reminders failed; trying again shortly")
            await self.context.clock.sleep(REMINDER_SECONDS)

    async def remind_once(self) -> list[tuple[int, str]]:
        config = self._config()
        if config is None:
            return []
        now = self.context.clock.now()
        horizon = timedelta(hours=config.readiness.remind_hours_before)
        async with self.context.sessions() as session:
            due = await tasks_to_remind(session, now=now, horizon=horizon)
        done: list[tuple[int, str]] = []
        for task_id in due:
            try:
                async with self.context.sessions() as session:
                    task = await session.get_one(ReadinessTask, task_id)
                    stage = await remind(session, task=task, config=config, now=now)
                    await commit_and_publish(session, self.context.bus)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("readiness task %d could not be reminded", task_id)
                continue
            if stage is not None:
                done.append((task_id, stage))
        return done
