"""API shapes of notifications, their deliveries and attempts."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, Field

from garrison.config.fields import Identifier
from garrison.notify.models import Notification, NotificationAttempt, NotificationDelivery


class AttemptOut(BaseModel):
    number: int
    started_at: datetime
    finished_at: datetime | None
    outcome: str
    error: str | None


class DeliveryOut(BaseModel):
    channel: str
    address: str = Field(description="Email, phone, or the receiver's scheme://host only.")
    status: str
    attempts: int
    next_attempt_at: datetime | None
    sent_at: datetime | None
    last_error: str | None
    history: list[AttemptOut]


class NotificationOut(BaseModel):
    id: int
    kind: str
    incident_id: int | None
    directive_id: int | None
    recipient_id: str
    recipient_name: str
    language: str
    status: str
    created_at: datetime
    delivered_at: datetime | None
    delivered_channel: str | None
    acknowledge_link_expires_at: datetime | None
    acknowledge_link_used_at: datetime | None
    data: dict[str, Any]
    deliveries: list[DeliveryOut]


class NotificationPage(BaseModel):
    items: list[NotificationOut]
    next_before_id: int | None


class TrialNotificationIn(BaseModel):
    person: Identifier = Field(description="Id of the person to reach.")


def shown_address(channel: str, address: str) -> str:
    """Webhook URLs may hold a secret in their path: only scheme and host are shown."""
    if channel in {"webhook", "chat"}:
        parts = urlsplit(address)
        return f"{parts.scheme}://{parts.netloc}/…"
    return address


def notification_out(
    notification: Notification,
    deliveries: list[NotificationDelivery],
    attempts: dict[int, list[NotificationAttempt]],
) -> NotificationOut:
    return NotificationOut(
        id=notification.id,
        kind=notification.kind,
        incident_id=notification.incident_id,
        directive_id=notification.directive_id,
        recipient_id=notification.recipient_id,
        recipient_name=notification.recipient_name,
        language=notification.language,
        status=notification.status,
        created_at=notification.created_at,
        delivered_at=notification.delivered_at,
        delivered_channel=notification.delivered_channel,
        acknowledge_link_expires_at=notification.ack_expires_at,
        acknowledge_link_used_at=notification.ack_used_at,
        data=dict(notification.payload),
        deliveries=[
            DeliveryOut(
                channel=delivery.channel,
                address=shown_address(delivery.channel, delivery.address),
                status=delivery.status,
                attempts=delivery.attempts,
                next_attempt_at=delivery.next_attempt_at if delivery.status == "pending" else None,
                sent_at=delivery.sent_at,
                last_error=delivery.last_error,
                history=[
                    AttemptOut(
                        number=attempt.number,
                        started_at=attempt.started_at,
                        finished_at=attempt.finished_at,
                        outcome=attempt.outcome,
                        error=attempt.error,
                    )
                    for attempt in attempts.get(delivery.id, [])
                ],
            )
            for delivery in deliveries
        ],
    )
