"""Tables of notifications: the outbox the delivery worker works from.

- ``notification``: one message for one person (an escalation step, a missed check-in,
  a directive…); ``key`` is unique, so the same message is never queued twice.
- ``notification_delivery``: the message on one channel. Its ``key`` (the message's
  key and the channel) is the idempotency key: unique, stored before anything is
  sent, and sent along (Message-ID, ``Idempotency-Key``) so receivers can tell.
- ``notification_attempt``: every try of a delivery: recorded as ``sending`` and
  committed before the message leaves, then given its outcome.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from garrison.storage.base import Base, UTCDateTime

KEY_LENGTH = 200
ID_LENGTH = 64
NAME_LENGTH = 200
ERROR_LENGTH = 500
ADDRESS_LENGTH = 300


class Notification(Base):
    __tablename__ = "notification"
    __table_args__ = (
        Index("ix_notification_incident_id", "incident_id"),
        Index("ix_notification_directive_id", "directive_id"),
        Index("ix_notification_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(KEY_LENGTH), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    incident_id: Mapped[int | None] = mapped_column(Integer, default=None)
    directive_id: Mapped[int | None] = mapped_column(Integer, default=None)
    recipient_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    recipient_name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    language: Mapped[str] = mapped_column(String(8))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    channels: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    delivered_channel: Mapped[str | None] = mapped_column(String(16), default=None)
    ack_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    ack_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class NotificationDelivery(Base):
    __tablename__ = "notification_delivery"
    __table_args__ = (Index("ix_notification_delivery_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notification.id"), index=True)
    key: Mapped[str] = mapped_column(String(KEY_LENGTH + 20), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(ADDRESS_LENGTH))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_error: Mapped[str | None] = mapped_column(String(ERROR_LENGTH), default=None)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class NotificationAttempt(Base):
    __tablename__ = "notification_attempt"
    __table_args__ = (UniqueConstraint("delivery_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("notification_delivery.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    outcome: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(String(ERROR_LENGTH), default=None)
