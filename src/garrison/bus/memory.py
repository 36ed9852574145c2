"""In-process bus: bounded queues per subscriber, events round-tripped through JSON.

Round-tripping keeps the seam honest: an event that could not cross NATS fails
here too, in tests, instead of in a scaled-out deployment.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Generic, TypeVar

from garrison.bus.events import DomainEvent, decode_event

E = TypeVar("E", bound=DomainEvent)

DEFAULT_QUEUE_SIZE = 10_000

_CLOSED = object()


class MemorySubscription(Generic[E]):
    def __init__(self, bus: InProcessBus, event_type: type[E], consumer: str, size: int) -> None:
        self._bus = bus
        self.event_type = event_type
        self.consumer = consumer
        self.queue: asyncio.Queue[object] = asyncio.Queue(maxsize=size)
        self.closed = False

    def __aiter__(self) -> AsyncIterator[E]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[E]:
        while True:
            item = await self.queue.get()
            if item is _CLOSED:
                return
            assert isinstance(item, self.event_type)
            yield item

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._bus.forget(self)
        # Wake a reader blocked on an empty queue; a full queue is drained by its reader.
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait(_CLOSED)


class InProcessBus:
    def __init__(self, *, queue_size: int = DEFAULT_QUEUE_SIZE) -> None:
        self._queue_size = queue_size
        self._subscriptions: list[MemorySubscription[DomainEvent]] = []
        self.published = 0

    async def publish(self, event: DomainEvent) -> None:
        copy = decode_event(event.to_json())
        self.published += 1
        for subscription in list(self._subscriptions):
            if isinstance(copy, subscription.event_type) and not subscription.closed:
                await subscription.queue.put(copy)

    def subscribe(self, event_type: type[E], *, consumer: str) -> MemorySubscription[E]:
        subscription = MemorySubscription(self, event_type, consumer, self._queue_size)
        self._subscriptions.append(subscription)  # type: ignore[arg-type]
        return subscription

    def forget(self, subscription: MemorySubscription[E]) -> None:
        self._subscriptions = [s for s in self._subscriptions if s is not subscription]

    async def close(self) -> None:
        for subscription in list(self._subscriptions):
            await subscription.close()
