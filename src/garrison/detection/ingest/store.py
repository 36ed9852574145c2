"""Writing events to the searchable store off the hot path, and forgetting old ones.

The store is a sink of the pipeline: ``accept`` only appends to a bounded buffer; a
separate task writes batches of up to ``WRITE_BATCH`` events, each one multi-row insert
in one transaction, waiting up to ``LINGER_SECONDS`` for a batch to fill, and not
while alerts wait to be stored (``AlertsFirst``) — unless they have kept it waiting for
``MAX_ALERT_WAIT_SECONDS``: then one batch goes anyway, so that a steady stream of
alerts delays each by one batch at most instead of starving the store. When writing
falls behind, the buffer's bound drops the *oldest* events waiting (counted as
``buffer_full``): search loses some history, detection loses nothing. A failed write
loses its batch from the store (counted as ``write_failed``), never from detection.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from garrison.detection.ingest import service
from garrison.detection.ingest.metrics import IngestMetrics
from garrison.detection.pipeline import DEFAULT_QUEUE_BYTES, AlertsFirst, event_size
from garrison.detection.records import LogEvent

logger = logging.getLogger(__name__)

WRITE_BATCH = 1000
LINGER_SECONDS = 0.2
RETRY_SECONDS = 2.0
MAX_ALERT_WAIT_SECONDS = 2.0


class EventStore:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        metrics: IngestMetrics,
        capacity: int,
        max_bytes: int = DEFAULT_QUEUE_BYTES,
        batch: int = WRITE_BATCH,
        linger: float = LINGER_SECONDS,
        alerts_first: AlertsFirst | None = None,
        max_alert_wait: float = MAX_ALERT_WAIT_SECONDS,
    ) -> None:
        self._sessions = sessions
        self._metrics = metrics
        self._capacity = capacity
        self._max_bytes = max_bytes
        self._bytes = 0
        self._batch = batch
        self._linger = linger
        self._alerts_first = alerts_first
        self._max_alert_wait = max_alert_wait
        self._buffer: collections.deque[LogEvent] = collections.deque()
        self._waiting = asyncio.Event()
        self._full = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    async def accept(self, events: Sequence[LogEvent]) -> None:
        buffer = self._buffer
        added = 0
        for event in events:
            buffer.append(event)
            added += event_size(event)
        self._bytes += added
        dropped = 0
        # Over a bound: the oldest events waiting go (one event is always kept).
        while len(buffer) > 1 and (len(buffer) > self._capacity or self._bytes > self._max_bytes):
            self._bytes -= event_size(buffer.popleft())
            dropped += 1
        if dropped:
            self._metrics.store_dropped.labels("buffer_full").inc(dropped)
        if buffer:
            self._idle.clear()
            self._waiting.set()
        if len(buffer) >= self._batch:
            self._full.set()

    async def run(self) -> None:
        """Write batches until cancelled; a failed write drops that batch and waits a bit."""
        while True:
            if not self._buffer:
                self._idle.set()
                self._waiting.clear()
                await self._waiting.wait()
            # Fewer, larger transactions: wait a little for a batch to fill.
            if len(self._buffer) < self._batch:
                self._full.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._full.wait(), self._linger)
            if self._alerts_first is not None:
                # Alerts waiting to be stored go first, for a while.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._alerts_first.clear(), self._max_alert_wait)
            if not await self.write_batch():
                await asyncio.sleep(RETRY_SECONDS)

    async def write_batch(self) -> bool:
        count = min(self._batch, len(self._buffer))
        batch = [self._buffer.popleft() for _ in range(count)]
        self._bytes -= sum(event_size(event) for event in batch)
        if not batch:
            return True
        try:
            async with self._sessions() as session:
                await service.insert_events(session, events=batch)
                await session.commit()
        except (SQLAlchemyError, OSError, ValueError):
            logger.exception("could not store %d log events", len(batch))
            self._metrics.store_dropped.labels("write_failed").inc(len(batch))
            return False
        self._metrics.stored.inc(len(batch))
        return True

    async def wait_idle(self) -> None:
        """Until everything accepted so far is written (or dropped)."""
        await self._idle.wait()


async def purge_expired(
    sessions: async_sessionmaker[AsyncSession], *, now: datetime, retention_days: int
) -> int:
    """Delete events older than the retention period, in batches; returns how many."""
    cutoff = now - timedelta(days=retention_days)
    total = 0
    while True:
        async with sessions() as session:
            removed = await service.delete_events_before(session, cutoff=cutoff)
            await session.commit()
        total += removed
        if removed < service.DELETE_BATCH:
            return total
