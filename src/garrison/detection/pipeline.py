"""The seam between log ingestion and rule evaluation.

Ingestion (syslog listeners, the HTTP bulk endpoint, file tails) turns raw logs into
:class:`~garrison.detection.records.LogEvent` values and hands them to the one
:class:`DetectionPipeline` of a running Garrison. The pipeline holds them in a bounded
:class:`EventQueue` and delivers them, in batches and in arrival order, to every
registered :class:`EventSink` (the rule engine, the event store, …).

Producers choose how to meet a full queue:

* ``offer(events)`` never waits: it returns ``False`` and the caller drops (UDP, counted)
  or refuses (HTTP 429/503 with ``Retry-After``);
* ``await submit(events)`` waits for room, slowing the sender (TCP, file tails).

Consumers implement :class:`EventSink` and register with
``pipeline_for(context).add_sink(name, sink)`` (before or after the ingest worker starts;
the worker runs :meth:`DetectionPipeline.run`, the delivery loop, and registers the event
store as the sink ``"store"``). A sink that raises is logged and
counted; the other sinks still get the batch and the loop goes on. A slow sink slows the
whole pipeline, which is what makes the queue's bound reach back to the senders.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from prometheus_client import CollectorRegistry

from garrison.detection.ingest.metrics import IngestMetrics, register_ingest_metrics
from garrison.detection.records import LogEvent
from garrison.runtime.context import AppContext

logger = logging.getLogger(__name__)

DEFAULT_QUEUE_EVENTS = 10_000
DEFAULT_QUEUE_BYTES = 64 * 1024 * 1024
DEFAULT_BATCH_EVENTS = 500


class EventSink(Protocol):
    """Something that consumes normalised events (the rule engine, the event store)."""

    async def accept(self, events: Sequence[LogEvent]) -> None: ...


def event_size(event: LogEvent) -> int:
    """What an event weighs in memory, roughly: its raw text, the fields made of it, overhead."""
    return 2 * len(event.raw) + 512


class EventQueue:
    """A FIFO of events bounded by a number of events and by their approximate size.

    The size bound matters when events are large (64 KiB lines): a count alone would let
    a queue of 10,000 of them hold over a gigabyte.
    """

    def __init__(
        self, capacity: int = DEFAULT_QUEUE_EVENTS, *, max_bytes: int = DEFAULT_QUEUE_BYTES
    ) -> None:
        self._items: collections.deque[LogEvent] = collections.deque()
        self._bytes = 0
        self._not_empty = asyncio.Event()
        self._not_full = asyncio.Event()
        self._capacity = self._max_bytes = 1
        self.resize(capacity, max_bytes=max_bytes)

    @property
    def capacity(self) -> int:
        return self._capacity

    @property
    def depth(self) -> int:
        return len(self._items)

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def room(self) -> int:
        """How many more events fit by count (a full byte budget means none)."""
        if self._bytes >= self._max_bytes:
            return 0
        return max(0, self._capacity - len(self._items))

    def resize(self, capacity: int, *, max_bytes: int | None = None) -> None:
        """Change the bounds for the next producers; the events held are kept."""
        if capacity < 1 or (max_bytes is not None and max_bytes < 1):
            raise ValueError("capacity must be at least 1")
        self._capacity = capacity
        if max_bytes is not None:
            self._max_bytes = max_bytes
        if self.room():
            self._not_full.set()

    def offer(self, events: Sequence[LogEvent]) -> bool:
        """Queue every event, or none when they do not all fit; never waits."""
        size = sum(event_size(event) for event in events)
        if len(events) > self.room() or (events and self._bytes + size > self._max_bytes):
            return False
        self._add(events, size)
        return True

    async def put(self, events: Sequence[LogEvent]) -> None:
        """Queue every event, waiting for room (a batch larger than the bounds goes in parts)."""
        for event in events:
            size = event_size(event)
            # One event always fits in an empty queue, whatever its size.
            while not self.room() or (self._items and self._bytes + size > self._max_bytes):
                self._not_full.clear()
                await self._not_full.wait()
            self._add((event,), size)

    async def take(self, max_events: int = DEFAULT_BATCH_EVENTS) -> list[LogEvent]:
        """Wait for at least one event; return up to ``max_events`` of them, oldest first."""
        while not self._items:
            self._not_empty.clear()
            await self._not_empty.wait()
        count = min(max_events, len(self._items))
        batch = [self._items.popleft() for _ in range(count)]
        self._bytes -= sum(event_size(event) for event in batch)
        self._not_full.set()
        return batch

    def _add(self, events: Sequence[LogEvent], size: int) -> None:
        if not events:
            return
        self._items.extend(events)
        self._bytes += size
        self._not_empty.set()


class AlertsFirst:
    """Alerts before raw events: the event store writes only while no alert is waiting.

    The rule engine's sink holds ``waiting()`` from the moment it has findings to store
    until they are stored; the event store awaits ``clear()`` before each of its
    transactions. On SQLite (one writer at a time) this keeps a store that is catching
    up from taking the write lock again and again while alerts wait for it.
    """

    def __init__(self) -> None:
        self._waiting = 0
        self._clear = asyncio.Event()
        self._clear.set()

    @property
    def alerts_waiting(self) -> bool:
        return self._waiting > 0

    def hold(self) -> None:
        self._waiting += 1
        self._clear.clear()

    def release(self) -> None:
        self._waiting = max(0, self._waiting - 1)
        if not self._waiting:
            self._clear.set()

    async def clear(self) -> None:
        await self._clear.wait()


@dataclass(frozen=True, slots=True)
class _RegisteredSink:
    name: str
    sink: EventSink


class DetectionPipeline:
    """Bounded queue in, every registered sink out."""

    def __init__(
        self,
        *,
        metrics: IngestMetrics,
        capacity: int = DEFAULT_QUEUE_EVENTS,
        max_bytes: int = DEFAULT_QUEUE_BYTES,
        batch_events: int = DEFAULT_BATCH_EVENTS,
    ) -> None:
        self.queue = EventQueue(capacity, max_bytes=max_bytes)
        self.metrics = metrics
        self.batch_events = batch_events
        self.alerts_first = AlertsFirst()
        self._sinks: dict[str, _RegisteredSink] = {}
        metrics.queue_depth.set_function(lambda: self.queue.depth)
        metrics.queue_capacity.set_function(lambda: self.queue.capacity)

    # -- consumers ---------------------------------------------------------------------

    def add_sink(self, name: str, sink: EventSink) -> None:
        """Register ``sink`` under ``name`` (replacing a sink of that name)."""
        self._sinks[name] = _RegisteredSink(name, sink)

    def remove_sink(self, name: str) -> None:
        self._sinks.pop(name, None)

    @property
    def sink_names(self) -> tuple[str, ...]:
        return tuple(self._sinks)

    # -- producers ---------------------------------------------------------------------

    def offer(self, events: Sequence[LogEvent]) -> bool:
        """Queue the events if they all fit now; ``False`` (nothing queued) otherwise."""
        return self.queue.offer(events)

    async def submit(self, events: Sequence[LogEvent]) -> None:
        """Queue the events, waiting for room: the caller slows down with the pipeline."""
        await self.queue.put(events)

    # -- the loop ----------------------------------------------------------------------

    async def run(self) -> None:
        """Deliver batches to the sinks until cancelled."""
        while True:
            await self.dispatch_once()

    async def dispatch_once(self) -> int:
        """Wait for one batch, deliver it to every sink; return its size."""
        batch = await self.queue.take(self.batch_events)
        for registered in tuple(self._sinks.values()):
            try:
                await registered.sink.accept(batch)
            except asyncio.CancelledError:
                raise
            except Exception:
                self.metrics.sink_failures.labels(registered.name).inc()
                logger.exception(
                    "detection sink %s failed on %d events", registered.name, len(batch)
                )
        self.metrics.dispatched.inc(len(batch))
        return len(batch)


# One pipeline per running Garrison. AppContext is shared by the web app and the workers
# but has no slot for domain objects; its Prometheus registry is unique to it and lives
# exactly as long, so the pipeline (and its metrics, which may be registered only once
# per registry) hangs off that.
_PIPELINES: weakref.WeakKeyDictionary[CollectorRegistry, DetectionPipeline] = (
    weakref.WeakKeyDictionary()
)


def pipeline_for(context: AppContext) -> DetectionPipeline:
    """The detection pipeline of this running Garrison, created on first use."""
    pipeline = _PIPELINES.get(context.registry)
    if pipeline is None:
        pipeline = DetectionPipeline(metrics=register_ingest_metrics(context.registry))
        _PIPELINES[context.registry] = pipeline
    return pipeline
