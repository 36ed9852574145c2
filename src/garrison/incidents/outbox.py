"""Bus events waiting for their transaction: queued by services, published after commit.

Services flush but never commit, so they cannot publish: a subscriber could act on
a change that is later rolled back, or look for a row not yet visible. Services
queue events on the session; whoever commits publishes them with
:func:`commit_and_publish`. A rollback drops them.
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from garrison.bus.abc import Bus
from garrison.bus.events import DomainEvent

logger = logging.getLogger(__name__)

_KEY = "garrison.incidents.pending_events"


def queue_event(session: AsyncSession, event: DomainEvent) -> None:
    pending: list[DomainEvent] = session.info.setdefault(_KEY, [])
    pending.append(event)


def pending_events(session: AsyncSession) -> list[DomainEvent]:
    return list(session.info.get(_KEY, []))


def discard_events(session: AsyncSession) -> None:
    session.info.pop(_KEY, None)


async def commit_and_publish(session: AsyncSession, bus: Bus) -> list[DomainEvent]:
    """Commit, then publish what the committed changes queued (in order)."""
    await session.commit()
    events: list[DomainEvent] = session.info.pop(_KEY, [])
    for event in events:
        await bus.publish(event)
    if events:
        logger.debug("published %d incident events", len(events))
    return events
