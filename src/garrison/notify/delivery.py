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

from sqlalchemy import and_, func, or_, select, update
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

_IN_DOUBT = DeliveryStatus.IN_DOUBT.value


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


@dataclass(frozen=True, slots=True)
class ClaimedRound:
    """What a round claimed, and how many deliveries it found cut off mid-attempt."""

    claimed: list[Claimed]
    interrupted: int


async def claim_due(
    session: AsyncSession, *, now: datetime, limit: int, lease: timedelta, row_locks: bool
) -> ClaimedRound:
    """Mark deliveries whose sender vanished mid-attempt ``in_doubt`` (never sent again),
    then claim up to ``limit`` due ones: one read finds both. Flushes; commit before
    sending anything."""
    due = and_(
        NotificationDelivery.status == DeliveryStatus.PENDING.value,
        NotificationDelivery.next_attempt_at <= now,
    )
    cut_off = and_(
        NotificationDelivery.status == DeliveryStatus.SENDING.value,
        NotificationDelivery.claimed_until < now,
    )
    query = (
        select(NotificationDelivery, Notification)
        .join(Notification, Notification.id == NotificationDelivery.notification_id)
        .where(or_(due, cut_off))
        .order_by(NotificationDelivery.next_attempt_at, NotificationDelivery.id)
        .limit(limit)
    )
    if row_locks:
        query = query.with_for_update(skip_locked=True, of=NotificationDelivery)
    found = (await session.execute(query)).all()
    sending = DeliveryStatus.SENDING.value
    interrupted = [(d, n) for d, n in found if d.status == sending]
    rows = [(d, n) for d, n in found if d.status != sending]
    for delivery, notification in interrupted:
        await _mark_in_doubt(session, delivery, notification, now=now)
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
    claimed = [
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
    return ClaimedRound(claimed=claimed, interrupted=len(interrupted))


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


async def record_outcomes(
    session: AsyncSession,
    *,
    claimed: Sequence[Claimed],
    failures: Sequence[DeliveryFailed | None],
    now: datetime,
    retry: RetryPolicy,
) -> list[str]:
    """Record a round's outcomes, on the timeline in the order claimed; their results.

    An attempt that went out changes known columns only: its rows are updated together
    without being read. A failed one is read (with the round's others) to choose between
    retry and fallback.
    """
    outcomes = list(zip(claimed, failures, strict=True))
    delivered = [item for item, failure in outcomes if failure is None]
    await _record_delivered(session, delivered=delivered, now=now)
    failed = [item for item, failure in outcomes if failure is not None]
    loaded = await load_claimed(session, claimed=failed)
    results = []
    for item, failure in outcomes:
        if failure is None:
            result = "delivered"
            await note_on_timeline(
                session,
                item.notification,
                channel=item.channel,
                result=result,
                at=now,
                extra={"attempt": item.attempt},
            )
        else:
            result = await record_outcome(
                session, claimed=item, failure=failure, now=now, retry=retry
            )
        results.append(result)
    del loaded  # held until every outcome is recorded
    return results


async def _record_delivered(
    session: AsyncSession, *, delivered: Sequence[Claimed], now: datetime
) -> None:
    """What :func:`record_outcome` writes for attempts that went out, one UPDATE a table."""
    if not delivered:
        return
    sent = DeliveryStatus.SENT.value
    changes: list[tuple[type[object], list[dict[str, object]]]] = [
        (
            NotificationAttempt,
            [{"id": item.attempt_id, "finished_at": now, "outcome": sent} for item in delivered],
        ),
        (
            NotificationDelivery,
            [
                {
                    "id": item.delivery_id,
                    "status": sent,
                    "sent_at": now,
                    "claimed_until": None,
                    "updated_at": now,
                }
                for item in delivered
            ],
        ),
        (
            Notification,
            [
                {
                    "id": item.notification.id,
                    "status": NotificationStatus.DELIVERED.value,
                    "delivered_at": now,
                    "delivered_channel": item.channel,
                    "updated_at": now,
                }
                for item in delivered
            ],
        ),
    ]
    for model, rows in changes:
        await session.execute(update(model), rows)


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


async def _mark_in_doubt(
    session: AsyncSession,
    delivery: NotificationDelivery,
    notification: Notification,
    *,
    now: datetime,
) -> None:
    """A delivery whose sender vanished mid-attempt: ``in_doubt``, its attempt too."""
    delivery.status = _IN_DOUBT
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
        attempt.outcome = _IN_DOUBT
        attempt.finished_at = now
    await session.flush()
    await note_on_timeline(
        session, notification, channel=delivery.channel, result="in_doubt", at=now
    )


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
