"""Time as an interface, so that shifts, escalation and drills are testable without waiting."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class ManualClock:
    """A clock that moves only when told to; sleepers wake when their time is reached."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start")
        self._now = start.astimezone(UTC)
        self._sleepers: list[tuple[datetime, asyncio.Future[None]]] = []

    def now(self) -> datetime:
        return self._now

    async def sleep(self, seconds: float) -> None:
        due = self._now + timedelta(seconds=seconds)
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._sleepers.append((due, future))
        await future

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)
        still_waiting: list[tuple[datetime, asyncio.Future[None]]] = []
        for due, future in self._sleepers:
            if future.done():
                continue
            if due <= self._now:
                future.set_result(None)
            else:
                still_waiting.append((due, future))
        self._sleepers = still_waiting


async def sleep_or_wake(clock: Clock, seconds: float, wake: asyncio.Event) -> None:
    """Sleep on ``clock`` until ``seconds`` have passed or ``wake`` is set, whichever is first."""
    waker = asyncio.create_task(wake.wait())
    timer = asyncio.create_task(clock.sleep(seconds))
    try:
        await asyncio.wait({waker, timer}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waker.cancel()
        timer.cancel()
