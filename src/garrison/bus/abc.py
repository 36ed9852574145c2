"""The bus interface. The in-process bus implements it now; NATS JetStream later."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol, TypeVar

from garrison.bus.events import DomainEvent

E = TypeVar("E", bound=DomainEvent)
E_co = TypeVar("E_co", bound=DomainEvent, covariant=True)


class Subscription(Protocol[E_co]):
    """Events of one type, in publication order, for one named consumer."""

    def __aiter__(self) -> AsyncIterator[E_co]: ...

    async def close(self) -> None: ...


class Bus(Protocol):
    async def publish(self, event: DomainEvent) -> None:
        """Deliver to every current subscriber; waits while a subscriber's queue is full."""
        ...

    def subscribe(self, event_type: type[E], *, consumer: str) -> Subscription[E]: ...

    async def close(self) -> None: ...
