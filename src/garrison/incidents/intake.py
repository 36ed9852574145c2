"""Signals from concurrent HTTP requests, ingested together: one writer, one transaction a batch.

Every webhook request used to ingest its signals in a transaction of its own: at a
hundred signals a second that is a hundred claims of the ingestion row, policy reads,
look-ups and commits, and as many transactions queueing on SQLite's single writer.
Here a request hands its signals to the process's intake and waits: one task takes
whatever requests have queued meanwhile and ingests them in one transaction (one
claim, one look-up of firing alerts, one commit), in arrival order, then answers each
request with its own results — after the commit, so an answer still means "stored".

Each request's integration key is checked in that transaction too, by one query for
the whole batch: a key rotated or disabled is refused by the next batch, whichever
process changed it. A request whose key is refused is answered with
:class:`RejectedKey` (its view writes the audit entry and answers 401); the others go on.

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
from garrison.config.incidents import IncidentsConfig, IntegrationKind
from garrison.incidents.ingest import ingest_built
from garrison.incidents.integrations import accepting, integrations_holding
from garrison.incidents.models import Integration
from garrison.incidents.outbox import commit_and_publish
from garrison.incidents.signal_records import SignalResult
from garrison.incidents.signals import IncomingSignal
from garrison.runtime.context import AppContext

logger = logging.getLogger(__name__)

# Signals ingested in one transaction, at most: a batch holds SQLite's write lock.
BATCH_SIGNALS = 500
# While requests keep coming, a batch waits until its first request is this old.
LINGER_SECONDS = 0.05

Build = Callable[[IncidentsConfig, Integration], Sequence[IncomingSignal]]


class RejectedKey(Exception):
    """The request's integration key is missing, unknown, disabled or of another kind."""


@dataclass(slots=True)
class _Request:
    key: str | None
    kind: IntegrationKind
    build: Build
    count: int
    arrived: float
    answer: asyncio.Future[list[SignalResult]] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class Intake:
    """The process's writer of HTTP signals (see the module's documentation)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        bus: Bus,
        clock: Clock,
        linger_seconds: float = LINGER_SECONDS,
    ) -> None:
        self._sessions = sessions
        self._bus = bus
        self._clock = clock
        self._linger = linger_seconds
        self._waiting: list[_Request] = []
        self._writer: asyncio.Task[None] | None = None
        self._last_arrival = float("-inf")
        self._flowing = False
        self.batches = 0

    async def ingest(
        self, *, key: str | None, kind: IntegrationKind, build: Build, count: int
    ) -> list[SignalResult]:
        """Ingest the signals ``build`` makes (``count`` of them) from the integration of
        ``kind`` holding ``key``; their results, committed. Raises :class:`RejectedKey`."""
        arrived = asyncio.get_running_loop().time()
        # Requests keep coming (the last one is recent): worth waiting for the next ones.
        self._flowing = arrived - self._last_arrival < self._linger
        self._last_arrival = arrived
        request = _Request(key=key, kind=kind, build=build, count=count, arrived=arrived)
        self._waiting.append(request)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write(), name="incident-intake")
        return await asyncio.shield(request.answer)

    async def _write(self) -> None:
        batch: list[_Request] = []
        try:
            while self._waiting:
                await self._linger_for_more()
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

    async def _linger_for_more(self) -> None:
        """Under steady traffic, let a batch gather for ``linger_seconds``: a transaction
        costs the same few statements for one signal as for many (nothing waits longer:
        a batch taking longer than that finds the next one gathered already)."""
        if not self._flowing or sum(r.count for r in self._waiting) >= BATCH_SIGNALS:
            return
        delay = self._waiting[0].arrived + self._linger - asyncio.get_running_loop().time()
        if delay > 0:
            await asyncio.sleep(delay)

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

    async def _transaction(self, batch: list[_Request]) -> list[list[SignalResult] | RejectedKey]:
        async with self._sessions() as session:
            holding = await integrations_holding(session, keys={r.key for r in batch})
            sending = {
                index: integration
                for index, request in enumerate(batch)
                if (integration := accepting(holding.get(request.key or ""), kind=request.kind))
            }
            total = sum(batch[index].count for index in sending)

            def build(policy: IncidentsConfig) -> list[IncomingSignal]:
                signals = [
                    signal
                    for index, integration in sending.items()
                    for signal in batch[index].build(policy, integration)
                ]
                if len(signals) != total:  # each answer is cut from the results by count
                    raise RuntimeError(f"{total} signals announced, {len(signals)} made")
                return signals

            results: list[SignalResult] = []
            if sending:
                now = self._clock.now()
                results = await ingest_built(session, build=build, count=total, now=now)
                await commit_and_publish(session, self._bus)
        self.batches += 1
        answers: list[list[SignalResult] | RejectedKey] = []
        start = 0
        for index, request in enumerate(batch):
            if index not in sending:
                answers.append(RejectedKey())
                continue
            answers.append(results[start : start + request.count])
            start += request.count
        return answers


def _answer(request: _Request, results: list[SignalResult] | RejectedKey) -> None:
    if request.answer.done():
        return
    if isinstance(results, RejectedKey):
        request.answer.set_exception(results)
    else:
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
