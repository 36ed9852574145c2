"""Signals from concurrent HTTP requests, ingested together: one writer, one transaction a batch.

Every webhook request used to ingest its signals in a transaction of its own: at a
hundred signals a second that is a hundred claims of the ingestion row, policy reads,
look-ups and commits, and as many transactions queueing on SQLite's single writer.
Here a request hands its signals to the process's intake and waits: one task takes
whatever requests have queued meanwhile and ingests them in one transaction (one
claim, one look-up of firing alerts, one commit), in arrival order, then answers each
request with its own results — after the commit, so an answer still means "stored".

When a batch fails, each of its requests is ingested again on its own, so one bad
request gets its own error and spoils nothing else.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from garrison.bus.abc import Bus
from garrison.clock import Clock
from garrison.config.incidents import IncidentsConfig
from garrison.incidents.ingest import SignalResult, ingest_built
from garrison.incidents.outbox import commit_and_publish
from garrison.incidents.signals import IncomingSignal
from garrison.runtime.context import AppContext

logger = logging.getLogger(__name__)

# Signals ingested in one transaction, at most: a batch holds SQLite's write lock.
BATCH_SIGNALS = 500

Build = Callable[[IncidentsConfig], Sequence[IncomingSignal]]


@dataclass(slots=True)
class _Request:
    build: Build
    count: int
    answer: asyncio.Future[list[SignalResult]] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class Intake:
    """The process's writer of HTTP signals (see the module's documentation)."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], *, bus: Bus, clock: Clock
    ) -> None:
        self._sessions = sessions
        self._bus = bus
        self._clock = clock
        self._waiting: list[_Request] = []
        self._writer: asyncio.Task[None] | None = None
        self.batches = 0

    async def ingest(self, *, build: Build, count: int) -> list[SignalResult]:
        """Ingest the signals ``build`` makes (``count`` of them); their results, committed."""
        request = _Request(build=build, count=count)
        self._waiting.append(request)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write(), name="incident-intake")
        return await asyncio.shield(request.answer)

    async def _write(self) -> None:
        batch: list[_Request] = []
        try:
            while self._waiting:
                batch, total = [], 0
                while self._waiting and (
                    not batch or total + self._waiting[0].count <= BATCH_SIGNALS
                ):
                    request = self._waiting.pop(0)
                    batch.append(request)
                    total += request.count
                await self._ingest_batch(batch)
        finally:
            # Stopped (the server is shutting down): nobody waits for an answer forever.
            for request in [*batch, *self._waiting]:
                if not request.answer.done():
                    request.answer.cancel()

    async def _ingest_batch(self, batch: list[_Request]) -> None:
        if len(batch) > 1:
            try:
                answers = await self._transaction(batch)
            except Exception:
                logger.warning("ingesting %d requests together failed: one by one", len(batch))
            else:
                for request, results in zip(batch, answers, strict=True):
                    _answer(request, results)
                return
        for request in batch:
            try:
                (results,) = await self._transaction([request])
            except Exception as exc:
                if not request.answer.done():
                    request.answer.set_exception(exc)
            else:
                _answer(request, results)

    async def _transaction(self, batch: list[_Request]) -> list[list[SignalResult]]:
        total = sum(request.count for request in batch)

        def build(policy: IncidentsConfig) -> list[IncomingSignal]:
            signals = [signal for request in batch for signal in request.build(policy)]
            if len(signals) != total:  # each request's answer is cut from the results by count
                raise RuntimeError(f"{total} signals announced, {len(signals)} made")
            return signals

        async with self._sessions() as session:
            results = await ingest_built(session, build=build, count=total, now=self._clock.now())
            await commit_and_publish(session, self._bus)
        self.batches += 1
        answers, start = [], 0
        for request in batch:
            answers.append(results[start : start + request.count])
            start += request.count
        return answers


def _answer(request: _Request, results: list[SignalResult]) -> None:
    if not request.answer.done():
        request.answer.set_result(results)


_INTAKES: weakref.WeakKeyDictionary[async_sessionmaker[AsyncSession], Intake] = (
    weakref.WeakKeyDictionary()
)


def intake_for(context: AppContext) -> Intake:
    """The intake of the running application (one per session factory)."""
    found = _INTAKES.get(context.sessions)
    if found is None:
        found = Intake(context.sessions, bus=context.bus, clock=context.clock)
        _INTAKES[context.sessions] = found
    return found
