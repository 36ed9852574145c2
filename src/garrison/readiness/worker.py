"""The readiness worker: attaches runbooks to incidents that match a plan (on
``IncidentOpened``) and sends task reminders on ``context.clock``. The incidents opened
meanwhile are handled together, in one transaction (one by one when it fails), each task
in its own; one failing is logged and the loop goes on."""

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
from garrison.readiness.plans import attach_runbooks, effective_plans
from garrison.readiness.tasks import remind, tasks_to_remind
from garrison.runtime.context import AppContext

logger = logging.getLogger(__name__)

REMINDER_SECONDS = 60.0
CHUNK = 50


class ReadinessWorker:
    name = "readiness"

    def __init__(self, context: AppContext, *, load_event: EventLoader | None = None) -> None:
        self.context = context
        self._load_event = load_event or (lambda: running_event(self.context.settings))
        self._to_attach: list[int] = []
        self._opened = asyncio.Event()

    def _config(self) -> EventConfig | None:
        return read_event(self._load_event, waiting="runbooks and readiness reminders")

    async def run(self, started: Callable[[], None]) -> None:
        opened = self.context.bus.subscribe(IncidentOpened, consumer="readiness.runbooks")
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self._note_opened(opened))
                group.create_task(self._attach_forever())
                started()
                group.create_task(self._remind_forever())
        finally:
            await opened.close()

    async def _note_opened(self, subscription: Subscription[IncidentOpened]) -> None:
        # Attached by the loop below, many in one transaction when incidents come in bursts.
        async for event in subscription:
            self._to_attach.append(event.incident_id)
            self._opened.set()

    async def _attach_forever(self) -> None:
        while True:
            await self._opened.wait()
            self._opened.clear()
            while self._to_attach:
                chunk, self._to_attach = self._to_attach[:CHUNK], self._to_attach[CHUNK:]
                try:
                    await self.attach_many(chunk)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    logger.warning(
                        "attaching runbooks to %d incidents failed: one by one", len(chunk)
                    )
                    await self._attach_each(chunk)

    async def _attach_each(self, incident_ids: list[int]) -> None:
        for incident_id in incident_ids:
            try:
                await self.attach_many([incident_id])
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("runbooks could not be attached to incident %d", incident_id)

    async def attach(self, incident_id: int) -> list[str]:
        return (await self.attach_many([incident_id])).get(incident_id, [])

    async def attach_many(self, incident_ids: list[int]) -> dict[int, list[str]]:
        """Attach the matching runbooks to these incidents, in one transaction: the plans
        and the incidents' sources are read once for them all. The plans attached, by incident."""
        config = self._config()
        if config is None:
            return {}
        attached: dict[int, list[str]] = {}
        async with self.context.sessions() as session:
            query = select(Incident).where(Incident.id.in_(incident_ids)).order_by(Incident.id)
            incidents = list((await session.scalars(query)).all())
            if not incidents:
                return {}
            plans = await effective_plans(session, config=config)
            sources: dict[int, set[str]] = {}
            if plans:
                rows = await session.execute(
                    select(Alert.incident_id, Alert.source).where(
                        Alert.incident_id.in_(incident_ids)
                    )
                )
                for incident_id, source in rows:
                    if incident_id is not None:
                        sources.setdefault(incident_id, set()).add(source)
            for incident in incidents:
                checklists = await attach_runbooks(
                    session,
                    config=config,
                    incident=incident,
                    sources=sorted(sources.get(incident.id, ())),
                    now=self.context.clock.now(),
                    plans=plans,
                )
                attached[incident.id] = [checklist.plan_id for checklist in checklists]
            await commit_and_publish(session, self.context.bus)
        return attached

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
