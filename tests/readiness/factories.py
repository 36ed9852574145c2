"""Helpers shared by the readiness, drill and report tests: running workers, collecting bus
events, and a manual clock that tells when a worker has gone back to sleep."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Generic, TypeVar

from garrison.audit.actor import Actor
from garrison.bus.abc import Bus
from garrison.bus.events import DomainEvent
from garrison.clock import ManualClock
from garrison.runtime.workers import Worker

TEST_ACTOR = Actor.system("test")
TIMEOUT = 10.0
E = TypeVar("E", bound=DomainEvent)


class WatchedClock(ManualClock):
    """A manual clock that signals each time someone starts sleeping on it, so that a test
    knows a worker has finished its round and is idle before moving time on."""

    def __init__(self, start: datetime) -> None:
        super().__init__(start)
        self.sleep_started = asyncio.Event()
        self.pending = 0

    async def sleep(self, seconds: float) -> None:
        self.pending += 1
        self.sleep_started.set()
        try:
            await super().sleep(seconds)
        finally:
            self.pending -= 1

    async def idle(self) -> None:
        """Wait (bounded) until at least one sleeper waits on this clock."""
        async with asyncio.timeout(TIMEOUT):
            while self.pending == 0:
                self.sleep_started.clear()
                await self.sleep_started.wait()

    async def advance_and_settle(self, seconds: float) -> None:
        """Move time on and wait until a woken worker has gone back to sleep."""
        await self.idle()
        self.sleep_started.clear()
        self.advance(seconds)
        async with asyncio.timeout(TIMEOUT):
            await self.sleep_started.wait()


async def advance_until(
    clock: WatchedClock, done: Callable[[], bool], *, step_seconds: float, max_steps: int = 100
) -> int:
    """Advance in steps until ``done()``; returns the number of steps taken."""
    for step in range(max_steps):
        if done():
            return step
        await clock.advance_and_settle(step_seconds)
        await asyncio.sleep(0)
    raise AssertionError(f"not done after {max_steps} steps of {step_seconds} s")


@contextlib.asynccontextmanager
async def running(worker: Worker) -> AsyncIterator[None]:
    """``worker`` started (awaited on its ``started`` signal) and cancelled at the end."""
    started = asyncio.Event()
    task = asyncio.create_task(worker.run(started.set))
    try:
        await asyncio.wait_for(started.wait(), timeout=TIMEOUT)
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class Collector(Generic[E]):
    """Every event of one type published on the bus, with a bounded wait for more."""

    def __init__(self, bus: Bus, event_type: type[E]) -> None:
        self.events: list[E] = []
        self._changed = asyncio.Event()
        self._subscription = bus.subscribe(event_type, consumer=f"test.{event_type.topic}")
        self._task = asyncio.create_task(self._collect())

    async def _collect(self) -> None:
        async for event in self._subscription:
            self.events.append(event)
            self._changed.set()

    async def wait_for(self, count: int) -> list[E]:
        async with asyncio.timeout(TIMEOUT):
            while len(self.events) < count:
                self._changed.clear()
                await self._changed.wait()
        return self.events

    async def close(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        await self._subscription.close()


@contextlib.asynccontextmanager
async def collecting(bus: Bus, event_type: type[E]) -> AsyncIterator[Collector[E]]:
    collector = Collector(bus, event_type)
    try:
        yield collector
    finally:
        await collector.close()
