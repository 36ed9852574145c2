"""The directive worker: follows up directives past their deadline.

It sleeps on ``context.clock`` until the next reminder or escalation is due (at
most ``IDLE_SECONDS``), woken early by ``DirectiveIssued``. Each directive is
followed up in its own transaction; one failing is logged and retried.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from garrison.bus.abc import Subscription
from garrison.clock import sleep_or_wake
from garrison.config import EventConfig
from garrison.directives.events import DirectiveIssued
from garrison.directives.models import Directive
from garrison.directives.overdue import (
    escalation_delay,
    follow_up,
    next_follow_up,
    overdue_directives,
)
from garrison.duty.service import load_plan
from garrison.duty.source import EventLoader, read_event, running_event
from garrison.incidents.outbox import commit_and_publish
from garrison.runtime.context import AppContext

logger = logging.getLogger(__name__)

BATCH = 200
IDLE_SECONDS = 60.0


class DirectiveWorker:
    name = "directives"

    def __init__(self, context: AppContext, *, load_event: EventLoader | None = None) -> None:
        self.context = context
        self._load_event = load_event or (lambda: running_event(self.context.settings))
        self._wake = asyncio.Event()

    def _config(self) -> EventConfig | None:
        return read_event(self._load_event, waiting="directive follow-ups")

    async def run(self, started: Callable[[], None]) -> None:
        issued = self.context.bus.subscribe(DirectiveIssued, consumer="directives.issued")
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self._ring_on(issued))
                started()
                group.create_task(self._follow_forever())
        finally:
            await issued.close()

    async def _ring_on(self, subscription: Subscription[DirectiveIssued]) -> None:
        async for _event in subscription:
            self._wake.set()

    async def _follow_forever(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("directive follow-up failed; trying again shortly")
            await self._sleep()

    async def _sleep(self) -> None:
        delay = IDLE_SECONDS
        config = self._config()
        if config is not None:
            try:
                async with self.context.sessions() as session:
                    due = await next_follow_up(session, delay=escalation_delay(config))
                if due is not None:
                    delay = (due - self.context.clock.now()).total_seconds()
            except Exception:
                logger.exception("cannot read when the next directive is due")
        if delay <= 0:
            return
        await sleep_or_wake(self.context.clock, min(delay, IDLE_SECONDS), self._wake)

    async def run_once(self) -> list[tuple[int, str]]:
        """Follow up every directive that is due; returns (directive id, what was done)."""
        config = self._config()
        if config is None:
            return []
        now = self.context.clock.now()
        async with self.context.sessions() as session:
            due = await overdue_directives(
                session, now=now, delay=escalation_delay(config), limit=BATCH
            )
            plan = await load_plan(session, config=config) if due else None
        done: list[tuple[int, str]] = []
        for directive_id in due:
            assert plan is not None
            try:
                async with self.context.sessions() as session:
                    directive = await session.get_one(Directive, directive_id)
                    event = await follow_up(
                        session,
                        directive=directive,
                        config=config,
                        plan=plan,
                        now=now,
                        default_language=self.context.settings.language,
                    )
                    await commit_and_publish(session, self.context.bus)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("directive %d could not be followed up", directive_id)
                continue
            if event is not None:
                done.append((directive_id, event))
        return done
