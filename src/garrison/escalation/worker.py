"""The escalation worker: starts escalations, fires due steps, stops them when someone acts.

It listens to the incidents' bus events (opened, acknowledged, state changed) and
keeps the timers in the database: it sleeps on ``context.clock`` until the next
step is due or an event arrives. At start and every ``reconcile_interval`` it also
starts escalations for triggered incidents that have none (the opening event is
lost if the process dies between the incident's commit and its publication).
Each escalation is fired in its own transaction: one failing incident is logged
and retried, the others go on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from garrison.audit.service import AuditDraft, record_audits
from garrison.bus.abc import Subscription
from garrison.clock import sleep_or_wake
from garrison.config import EventConfig
from garrison.duty.source import EventLoader, read_event, running_event
from garrison.escalation import queries, service
from garrison.incidents.events import IncidentAcknowledged, IncidentOpened, IncidentStateChanged
from garrison.incidents.models import Incident
from garrison.incidents.outbox import commit_and_publish
from garrison.incidents.vocabulary import IncidentStatus
from garrison.runtime.context import AppContext
from garrison.storage.engine import reading

logger = logging.getLogger(__name__)

BATCH = 200
CHUNK = 50
IDLE_SECONDS = 30.0
RECONCILE_SECONDS = 60.0


@dataclass(slots=True)
class Round:
    started: list[int] = field(default_factory=list)
    fired: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    # When the next step is due, read with the due ones (None: read it before sleeping).
    next_due: queries.DueEscalations | None = None


class EscalationWorker:
    name = "escalation"

    def __init__(
        self,
        context: AppContext,
        *,
        load_event: EventLoader | None = None,
        reconcile_interval: float = RECONCILE_SECONDS,
    ) -> None:
        self.context = context
        self._load_event = load_event or (lambda: running_event(self.context.settings))
        self.reconcile_interval = reconcile_interval
        self._wake = asyncio.Event()
        self._last_reconcile: datetime | None = None
        self._to_start: set[int] = set()
        self.handled = 0
        self._progress = asyncio.Condition()

    def _config(self) -> EventConfig | None:
        return read_event(self._load_event, waiting="escalations")

    async def run(self, started: Callable[[], None]) -> None:
        bus = self.context.bus
        opened = bus.subscribe(IncidentOpened, consumer="escalation.opened")
        acknowledged = bus.subscribe(IncidentAcknowledged, consumer="escalation.acknowledged")
        changed = bus.subscribe(IncidentStateChanged, consumer="escalation.state_changed")
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self._on_opened(opened))
                group.create_task(self._on_settled(acknowledged))
                group.create_task(self._on_changed(changed))
                started()
                group.create_task(self._fire_forever())
        finally:
            for subscription in (opened, acknowledged, changed):
                await subscription.close()

    async def _on_opened(self, subscription: Subscription[IncidentOpened]) -> None:
        # Started by the firing loop, many in one transaction when signals come in bursts.
        async for event in subscription:
            self._to_start.add(event.incident_id)
            self._wake.set()

    async def _on_settled(self, subscription: Subscription[IncidentAcknowledged]) -> None:
        async for event in subscription:
            await self._guarded(self.stop, event.incident_id, IncidentStatus.ACKNOWLEDGED.value)

    async def _on_changed(self, subscription: Subscription[IncidentStateChanged]) -> None:
        async for event in subscription:
            if event.current == IncidentStatus.TRIGGERED.value:
                await self._guarded(self.restart, event.incident_id)
            else:
                await self._guarded(self.stop, event.incident_id, event.current)

    async def _guarded(self, action: Callable[..., Awaitable[bool]], *args: object) -> None:
        try:
            await action(*args)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("escalation could not handle incident %s", args[0])
        self._wake.set()
        async with self._progress:
            self.handled += 1
            self._progress.notify_all()

    async def wait_handled(self, count: int) -> None:
        """Until ``count`` acknowledgements and state changes have been handled."""
        async with self._progress:
            await self._progress.wait_for(lambda: self.handled >= count)

    async def start(self, incident_id: int) -> bool:
        return incident_id in await self.start_many([incident_id])

    async def start_many(self, incident_ids: list[int]) -> list[int]:
        """Start the escalations of these incidents in one transaction; returns those started.

        When the batch fails (another worker started one of them meanwhile), each is
        started on its own, so one clash spoils nothing else.
        """
        config = self._config()
        if config is None or not incident_ids:
            return []
        try:
            return await self._start_together(incident_ids, config)
        except (IntegrityError, StaleDataError):
            if len(incident_ids) == 1:
                return []
        started: list[int] = []
        for incident_id in incident_ids:
            with contextlib.suppress(IntegrityError, StaleDataError):
                started += await self._start_together([incident_id], config)
        return started

    async def _start_together(self, incident_ids: list[int], config: EventConfig) -> list[int]:
        now = self.context.clock.now()
        started = []
        audits: list[AuditDraft] = []
        async with self.context.sessions() as session:
            # One query finds which of them to start (triggered, no escalation yet).
            for incident in await queries.startable_incidents(session, incident_ids=incident_ids):
                await service.start_escalation(
                    session,
                    incident=incident,
                    config=config,
                    now=now,
                    default_language=self.context.settings.language,
                    unescalated=True,
                    audits=audits,
                )
                started.append(incident.id)
            # Their audit entries together: one bump of the chain's head for the batch.
            await record_audits(session, actor=service.ESCALATOR, at=now, drafts=audits)
            await commit_and_publish(session, self.context.bus)
        return started

    async def stop(self, incident_id: int, reason: str) -> bool:
        async with self.context.sessions() as session:
            record = await queries.find_escalation(session, incident_id=incident_id)
            if record is None:
                return False
            stopped = await service.stop_escalation(
                session, record=record, reason=reason, now=self.context.clock.now()
            )
            await commit_and_publish(session, self.context.bus)
        return stopped

    async def restart(self, incident_id: int) -> bool:
        async with self.context.sessions() as session:
            record = await queries.find_escalation(session, incident_id=incident_id)
            incident = await session.get(Incident, incident_id)
            if incident is None:
                return False
            if record is None:
                await session.rollback()
                return await self.start(incident_id)
            restarted = await service.restart_escalation(
                session, record=record, incident=incident, now=self.context.clock.now()
            )
            await commit_and_publish(session, self.context.bus)
        return restarted

    async def _fire_forever(self) -> None:
        while True:
            self._wake.clear()
            result = Round()
            try:
                result = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("escalation round failed; trying again shortly")
            if len(result.fired) >= BATCH:
                continue
            await self._sleep(result.next_due)

    async def _sleep(self, known: queries.DueEscalations | None = None) -> None:
        now = self.context.clock.now()
        delay = IDLE_SECONDS
        due = None
        if known is not None and known.later_known:
            due = known.later
        else:
            try:
                async with self.context.sessions() as session:
                    due = await queries.next_due(reading(session))
            except Exception:
                logger.exception("cannot read the next escalation due time")
        if due is not None:
            delay = (due - now).total_seconds()
        if self._last_reconcile is not None:
            until_reconcile = self.reconcile_interval - (now - self._last_reconcile).total_seconds()
            delay = min(delay, until_reconcile)
        if delay <= 0:
            return
        await sleep_or_wake(self.context.clock, min(delay, IDLE_SECONDS), self._wake)

    async def run_once(self) -> Round:
        """Start what is waiting (and, now and then, what was missed), then fire due steps."""
        result = Round()
        now = self.context.clock.now()
        if (
            self._last_reconcile is None
            or (now - self._last_reconcile).total_seconds() >= self.reconcile_interval
        ):
            self._last_reconcile = now
            async with self.context.sessions() as session:
                self._to_start.update(await queries.unescalated_incidents(session, limit=BATCH))
        while self._to_start:
            chunk = sorted(self._to_start)[:CHUNK]
            self._to_start.difference_update(chunk)
            result.started += await self.start_many(chunk)
        async with self.context.sessions() as session:
            found = await queries.due_escalations(reading(session), now=now, limit=BATCH)
        due = found.ids
        if not due:
            result.next_due = found  # nothing fired: still when the next step is due
        for start in range(0, len(due), CHUNK):
            chunk = due[start : start + CHUNK]
            try:
                result.fired += await self.fire_many(chunk)
            except asyncio.CancelledError:
                raise
            except Exception:
                # One bad escalation must not hold up the others: fire them one by one.
                logger.warning("firing %d escalations together failed; one by one", len(chunk))
                for escalation_id in chunk:
                    try:
                        result.fired += await self.fire_many([escalation_id])
                    except asyncio.CancelledError:
                        raise
                    except Exception:
                        logger.exception("escalation %d could not fire; retrying", escalation_id)
                        result.failed.append(escalation_id)
        return result

    async def fire(self, escalation_id: int) -> bool:
        return escalation_id in await self.fire_many([escalation_id])

    async def fire_many(self, escalation_ids: list[int]) -> list[int]:
        """Fire the due step of each escalation, all in one transaction; returns those fired."""
        config = self._config()
        if config is None:
            return []
        now = self.context.clock.now()
        fired = []
        async with self.context.sessions() as session:
            try:
                for escalation_id in escalation_ids:
                    if await self._fire_in(session, escalation_id, config, now):
                        fired.append(escalation_id)
                await commit_and_publish(session, self.context.bus)
            except (IntegrityError, StaleDataError):
                # Another worker fired one of these first: its notifications stand.
                await session.rollback()
                if len(escalation_ids) > 1:
                    raise
                return []
        return fired

    async def _fire_in(
        self, session: AsyncSession, escalation_id: int, config: EventConfig, now: datetime
    ) -> bool:
        record = await queries.claim_escalation(
            session,
            escalation_id=escalation_id,
            now=now,
            row_locks=self.context.capabilities.row_locks,
        )
        if record is None:
            return False  # fired or stopped meanwhile, or locked by another worker
        incident = await session.get(Incident, record.incident_id)
        if incident is None:
            return False
        await service.fire_due_step(
            session,
            record=record,
            incident=incident,
            config=config,
            now=now,
            default_language=self.context.settings.language,
        )
        return True
