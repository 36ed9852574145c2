"""Queueing notifications in the caller's transaction, cancelling them, reading them back.

Keyword-only functions taking an ``AsyncSession``; they flush, the caller commits
(with ``garrison.incidents.outbox.commit_and_publish``, which wakes the worker).
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.audit.actor import Actor
from garrison.errors import ValidationFailed
from garrison.i18n import gettext as _
from garrison.incidents.outbox import queue_event
from garrison.incidents.timeline import TimelineKind, add_timeline_entry
from garrison.notify.events import NotificationQueued
from garrison.notify.models import (
    KEY_LENGTH,
    NAME_LENGTH,
    Notification,
    NotificationAttempt,
    NotificationDelivery,
)
from garrison.notify.recipients import Recipient
from garrison.notify.vocabulary import DeliveryStatus, NotificationKind, NotificationStatus

MAX_LIST_LIMIT = 500
NOTIFIER = Actor.system("notifications")


@dataclass(frozen=True, slots=True)
class NewNotification:
    key: str
    kind: NotificationKind
    recipient: Recipient
    payload: Mapping[str, Any]
    incident_id: int | None = None
    directive_id: int | None = None
    acknowledge_link: bool = False


def bounded_key(key: str) -> str:
    """A notification key that fits its column: a longer one becomes its digest."""
    if len(key) <= KEY_LENGTH:
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()


def delivery_key(notification_key: str, channel: str) -> str:
    return f"{notification_key}|{channel}"


async def queue_notification(
    session: AsyncSession,
    *,
    new: NewNotification,
    now: datetime,
    link_hours: float,
    key_is_new: bool = False,
) -> Notification | None:
    """Queue ``new`` on its recipient's first channel; None when its key was queued before.

    ``key_is_new``: the caller knows the key cannot have been queued (it names what was
    only now created): not looked up; should it exist, its unique index refuses the row.
    """
    key = bounded_key(new.key)
    if not key_is_new:
        known = await session.scalar(select(Notification.id).where(Notification.key == key))
        if known is not None:
            return None
    routes = [{"channel": kind.value, "address": address} for kind, address in new.recipient.routes]
    notification = Notification(
        key=key,
        kind=new.kind.value,
        incident_id=new.incident_id,
        directive_id=new.directive_id,
        recipient_id=new.recipient.person_id,
        recipient_name=new.recipient.name[:NAME_LENGTH],
        language=new.recipient.language,
        payload=dict(new.payload),
        channels=routes,
        status=NotificationStatus.PENDING.value if routes else NotificationStatus.FAILED.value,
        created_at=now,
        updated_at=now,
        ack_expires_at=now + timedelta(hours=link_hours) if new.acknowledge_link else None,
    )
    session.add(notification)
    await session.flush()
    if not routes:
        await note_on_timeline(session, notification, channel="-", result="no_channel", at=now)
        return notification
    add_delivery(session, notification, index=0, now=now)
    await session.flush()
    queue_event(
        session,
        NotificationQueued(
            occurred_at=now,
            notification_id=notification.id,
            kind=notification.kind,
            incident_id=notification.incident_id,
        ),
    )
    return notification


def add_delivery(
    session: AsyncSession, notification: Notification, *, index: int, now: datetime
) -> NotificationDelivery:
    route = notification.channels[index]
    delivery = NotificationDelivery(
        notification_id=notification.id,
        key=delivery_key(notification.key, route["channel"]),
        channel=route["channel"],
        address=route["address"],
        status=DeliveryStatus.PENDING.value,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        updated_at=now,
    )
    session.add(delivery)
    return delivery


async def note_on_timeline(
    session: AsyncSession,
    notification: Notification,
    *,
    channel: str,
    result: str,
    at: datetime,
    extra: Mapping[str, Any] | None = None,
) -> None:
    """Put a delivery event on the incident's timeline (for notifications about an incident)."""
    if notification.incident_id is None:
        return
    await add_timeline_entry(
        session,
        incident_id=notification.incident_id,
        kind=TimelineKind.NOTIFICATION,
        at=at,
        actor=NOTIFIER,
        data={
            "notification_id": notification.id,
            "notification_kind": notification.kind,
            "recipient": notification.recipient_name,
            "recipient_id": notification.recipient_id,
            "channel": channel,
            "result": result,
            "delivered": result == "delivered",
            **(extra or {}),
        },
    )


async def cancel_incident_notifications(
    session: AsyncSession, *, incident_id: int, now: datetime
) -> int:
    """Cancel the escalation notifications of an incident not sent yet; returns how many."""
    pending = (
        await session.scalars(
            select(Notification).where(
                Notification.incident_id == incident_id,
                Notification.kind == NotificationKind.INCIDENT_ESCALATION.value,
                Notification.status == NotificationStatus.PENDING.value,
            )
        )
    ).all()
    if not pending:
        return 0
    ids = [notification.id for notification in pending]
    await session.execute(
        update(NotificationDelivery)
        .where(
            NotificationDelivery.notification_id.in_(ids),
            NotificationDelivery.status == DeliveryStatus.PENDING.value,
        )
        .values(status=DeliveryStatus.CANCELLED.value, updated_at=now),
        execution_options={"synchronize_session": False},
    )
    for notification in pending:
        notification.status = NotificationStatus.CANCELLED.value
        notification.updated_at = now
    await session.flush()
    return len(pending)


@dataclass(frozen=True, slots=True)
class NotificationFilter:
    incident_id: int | None = None
    directive_id: int | None = None
    recipient_id: str | None = None
    kinds: Collection[NotificationKind] = ()
    status: NotificationStatus | None = None


async def list_notifications(
    session: AsyncSession,
    *,
    filters: NotificationFilter,
    limit: int = 100,
    before_id: int | None = None,
) -> list[Notification]:
    """Newest first."""
    if not 1 <= limit <= MAX_LIST_LIMIT:
        raise ValidationFailed(_("limit: must be between 1 and %(max)d.") % {"max": MAX_LIST_LIMIT})
    query = select(Notification).order_by(Notification.id.desc()).limit(limit)
    if filters.incident_id is not None:
        query = query.where(Notification.incident_id == filters.incident_id)
    if filters.directive_id is not None:
        query = query.where(Notification.directive_id == filters.directive_id)
    if filters.recipient_id is not None:
        query = query.where(Notification.recipient_id == filters.recipient_id)
    if filters.kinds:
        query = query.where(Notification.kind.in_([kind.value for kind in filters.kinds]))
    if filters.status is not None:
        query = query.where(Notification.status == filters.status.value)
    if before_id is not None:
        query = query.where(Notification.id < before_id)
    return list((await session.scalars(query)).all())


async def deliveries_of(
    session: AsyncSession, *, notification_ids: Collection[int]
) -> dict[int, list[NotificationDelivery]]:
    found: dict[int, list[NotificationDelivery]] = {key: [] for key in notification_ids}
    if not notification_ids:
        return found
    rows = await session.scalars(
        select(NotificationDelivery)
        .where(NotificationDelivery.notification_id.in_(list(notification_ids)))
        .order_by(NotificationDelivery.id)
    )
    for row in rows:
        found[row.notification_id].append(row)
    return found


async def attempts_of(
    session: AsyncSession, *, delivery_ids: Collection[int]
) -> dict[int, list[NotificationAttempt]]:
    found: dict[int, list[NotificationAttempt]] = {key: [] for key in delivery_ids}
    if not delivery_ids:
        return found
    rows = await session.scalars(
        select(NotificationAttempt)
        .where(NotificationAttempt.delivery_id.in_(list(delivery_ids)))
        .order_by(NotificationAttempt.delivery_id, NotificationAttempt.number)
    )
    for row in rows:
        found[row.delivery_id].append(row)
    return found
