"""The outbox's steps: claim what is due, record how each attempt went, recover after a crash.

An attempt is claimed and committed (delivery ``sending``, attempt row ``sending``)
before the message leaves; its outcome is recorded after. A process killed in
between leaves the delivery ``sending``: once its lease is over it is marked
``in_doubt`` and never sent again, so no message goes out twice on a channel.

A temporary failure is retried on the same channel with exponential backoff; after
``attempts_per_channel`` tries, or a permanent failure, the next channel of the
person's order takes over. Every outcome goes on the incident's timeline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.config.notifications import NotificationsSection
from garrison.incidents.models import Incident
from garrison.incidents.vocabulary import IncidentStatus
from garrison.notify.errors import DeliveryFailed
from garrison.notify.models import (
    ERROR_LENGTH,
    Notification,
    NotificationAttempt,
    NotificationDelivery,
)
from garrison.notify.service import add_delivery, note_on_timeline
from garrison.notify.vocabulary import DeliveryStatus, NotificationKind, NotificationStatus


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts_per_channel: int = 3
    backoff_seconds: float = 10.0
    backoff_max_seconds: float = 300.0

    @classmethod
    def from_settings(cls, settings: NotificationsSection) -> RetryPolicy:
        return cls(
            attempts_per_channel=settings.attempts_per_channel,
            backoff_seconds=settings.retry_backoff_seconds,
            backoff_max_seconds=settings.retry_backoff_max_seconds,
        )

    def delay_after(self, attempt: int) -> timedelta:
        """The wait after failed attempt number ``attempt`` (1-based): base * 2^(attempt-1)."""
        seconds = self.backoff_seconds * 2 ** min(attempt - 1, 30)
        return timedelta(seconds=min(seconds, self.backoff_max_seconds))


@dataclass(frozen=True, slots=True)
class Claimed:
    """One attempt under way: what the worker needs to send it and to record it."""

    delivery_id: int
    attempt_id: int
    attempt: int
    notification: Notification
    channel: str
    address: str
    key: str


async def claim_due(
    session: AsyncSession, *, now: datetime, limit: int, lease: timedelta, row_locks: bool
) -> list[Claimed]:
    """Claim up to ``limit`` due deliveries (flushes; commit before sending anything)."""
    query = (
        select(NotificationDelivery, Notification)
        .join(Notification, Notification.id == NotificationDelivery.notification_id)
        .where(
            NotificationDelivery.status == DeliveryStatus.PENDING.value,
            NotificationDelivery.next_attempt_at <= now,
        )
        .order_by(NotificationDelivery.next_attempt_at, NotificationDelivery.id)
        .limit(limit)
    )
    if row_locks:
        query = query.with_for_update(skip_locked=True, of=NotificationDelivery)
    rows = (await session.execute(query)).all()
    settled = await _settled_incidents(session, [n for _d, n in rows])
    started: list[tuple[NotificationDelivery, Notification, NotificationAttempt]] = []
    for delivery, notification in rows:
        if notification.incident_id in settled and _pages(notification):
            await _cancel(session, delivery, notification, now=now)
            continue
        delivery.status = DeliveryStatus.SENDING.value
        delivery.attempts += 1
        delivery.claimed_until = now + lease
        delivery.updated_at = now
        attempt = NotificationAttempt(
            delivery_id=delivery.id,
            number=delivery.attempts,
            started_at=now,
            outcome=DeliveryStatus.SENDING.value,
        )
        session.add(attempt)
        started.append((delivery, notification, attempt))
    await session.flush()
    return [
        Claimed(
            delivery_id=delivery.id,
            attempt_id=attempt.id,
            attempt=delivery.attempts,
            notification=notification,
            channel=delivery.channel,
            address=delivery.address,
            key=delivery.key,
        )
        for delivery, notification, attempt in started
    ]


def _pages(notification: Notification) -> bool:
    return notification.kind == NotificationKind.INCIDENT_ESCALATION.value


async def _settled_incidents(session: AsyncSession, notifications: list[Notification]) -> set[int]:
    """Incidents someone took (or resolved) meanwhile: their pages are no longer sent."""
    ids = {n.incident_id for n in notifications if n.incident_id is not None and _pages(n)}
    if not ids:
        return set()
    rows = await session.execute(
        select(Incident.id).where(
            Incident.id.in_(ids), Incident.status != IncidentStatus.TRIGGERED.value
        )
    )
    return {int(row[0]) for row in rows}


async def _cancel(
    session: AsyncSession,
    delivery: NotificationDelivery,
    notification: Notification,
    *,
    now: datetime,
) -> None:
    delivery.status = DeliveryStatus.CANCELLED.value
    delivery.updated_at = now
    notification.status = NotificationStatus.CANCELLED.value
    notification.updated_at = now
    await session.flush()
    await note_on_timeline(
        session, notification, channel=delivery.channel, result="cancelled", at=now
    )


async def load_claimed(session: AsyncSession, *, claimed: Sequence[Claimed]) -> list[object]:
    """Read the rows :func:`record_outcome` changes for all of ``claimed`` at once (three
    queries a round instead of three per attempt). Keep the list returned while recording:
    the session holds unchanged rows only as long as someone else does."""
    if not claimed:
        return []
    delivery_ids = sorted({item.delivery_id for item in claimed})
    notification_ids = sorted({item.notification.id for item in claimed})
    attempt_ids = sorted({item.attempt_id for item in claimed})
    loaded: list[object] = []
    for model, ids in (
        (NotificationDelivery, delivery_ids),
        (Notification, notification_ids),
        (NotificationAttempt, attempt_ids),
    ):
        loaded += (await session.scalars(select(model).where(model.id.in_(ids)))).all()
    return loaded


async def record_outcome(
    session: AsyncSession,
    *,
    claimed: Claimed,
    failure: DeliveryFailed | None,
    now: datetime,
    retry: RetryPolicy,
) -> str:
    """Record one attempt's outcome; returns the timeline result ("delivered", "retrying"…)."""
    delivery = await session.get_one(NotificationDelivery, claimed.delivery_id)
    notification = await session.get_one(Notification, delivery.notification_id)
    attempt = await session.get_one(NotificationAttempt, claimed.attempt_id)
    attempt.finished_at = now
    delivery.claimed_until = None
    delivery.updated_at = notification.updated_at = now
    extra: dict[str, object] = {"attempt": claimed.attempt}
    if failure is None:
        attempt.outcome = delivery.status = DeliveryStatus.SENT.value
        delivery.sent_at = notification.delivered_at = now
        notification.status = NotificationStatus.DELIVERED.value
        notification.delivered_channel = delivery.channel
        result = "delivered"
    else:
        error = failure.reason[:ERROR_LENGTH]
        attempt.outcome = DeliveryStatus.FAILED.value
        attempt.error = delivery.last_error = error
        extra["error"] = error
        if failure.temporary and claimed.attempt < retry.attempts_per_channel:
            delivery.status = DeliveryStatus.PENDING.value
            delivery.next_attempt_at = now + retry.delay_after(claimed.attempt)
            extra["next_attempt_at"] = delivery.next_attempt_at.isoformat()
            result = "retrying"
        else:
            delivery.status = DeliveryStatus.FAILED.value
            result = await _fall_back(session, notification, delivery, now=now, extra=extra)
    await session.flush()
    await note_on_timeline(
        session, notification, channel=delivery.channel, result=result, at=now, extra=extra
    )
    return result


async def _fall_back(
    session: AsyncSession,
    notification: Notification,
    failed: NotificationDelivery,
    *,
    now: datetime,
    extra: dict[str, object],
) -> str:
    channels = [route["channel"] for route in notification.channels]
    position = channels.index(failed.channel) + 1 if failed.channel in channels else len(channels)
    if position >= len(channels):
        notification.status = NotificationStatus.FAILED.value
        return "failed"
    add_delivery(session, notification, index=position, now=now)
    extra["fallback"] = channels[position]
    return "falling_back"


async def recover_interrupted(session: AsyncSession, *, now: datetime) -> int:
    """Mark deliveries whose sender vanished mid-attempt as ``in_doubt``; returns how many."""
    rows = (
        await session.execute(
            select(NotificationDelivery, Notification)
            .join(Notification, Notification.id == NotificationDelivery.notification_id)
            .where(
                NotificationDelivery.status == DeliveryStatus.SENDING.value,
                NotificationDelivery.claimed_until < now,
            )
        )
    ).all()
    for delivery, notification in rows:
        delivery.status = DeliveryStatus.IN_DOUBT.value
        delivery.claimed_until = None
        delivery.updated_at = notification.updated_at = now
        notification.status = NotificationStatus.IN_DOUBT.value
        attempts = await session.scalars(
            select(NotificationAttempt).where(
                NotificationAttempt.delivery_id == delivery.id,
                NotificationAttempt.outcome == DeliveryStatus.SENDING.value,
            )
        )
        for attempt in attempts:
            attempt.outcome = DeliveryStatus.IN_DOUBT.value
            attempt.finished_at = now
        await session.flush()
        await note_on_timeline(
            session, notification, channel=delivery.channel, result="in_doubt", at=now
        )
    return len(rows)


async def next_wakeup(session: AsyncSession) -> datetime | None:
    """The earliest moment the worker has something to do: a due attempt or a lease ending."""
    due = (
        select(func.min(NotificationDelivery.next_attempt_at))
        .where(NotificationDelivery.status == DeliveryStatus.PENDING.value)
        .scalar_subquery()
    )
    lease = (
        select(func.min(NotificationDelivery.claimed_until))
        .where(NotificationDelivery.status == DeliveryStatus.SENDING.value)
        .scalar_subquery()
    )
    # One statement: the worker asks after every round.
    row = (await session.execute(select(due, lease))).one()
    found: list[datetime] = [moment for moment in row if moment is not None]
    return min(found) if found else None
