"""What every channel is given, and the interface it implements."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from garrison.config.notifications import ChannelKind


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """One rendered message for one recipient on one channel.

    ``key`` is the delivery's idempotency key: it travels with the message
    (email Message-ID, ``Idempotency-Key`` header) so that a receiver can tell a
    message it has already seen.
    """

    key: str
    subject: str
    text: str
    short_text: str
    document: dict[str, Any] = field(default_factory=dict)


class Channel(Protocol):
    kind: ChannelKind

    async def send(self, message: OutgoingMessage, *, address: str) -> None:
        """Deliver or raise :class:`~garrison.notify.errors.DeliveryFailed`."""
        ...
