"""What the notification domain says over the bus."""

from __future__ import annotations

import dataclasses

from garrison.bus.events import DomainEvent


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class NotificationQueued(DomainEvent):
    """A notification waits in the outbox: wakes the delivery worker (published after commit)."""

    topic = "garrison.notify.queued"

    notification_id: int
    kind: str
    incident_id: int | None = None
