"""The words of the notification domain: kinds of message and the states they go through."""

from __future__ import annotations

from enum import StrEnum


class NotificationKind(StrEnum):
    INCIDENT_ESCALATION = "incident_escalation"
    CHECK_IN_MISSED = "check_in_missed"
    COVERAGE_GAP = "coverage_gap"
    DIRECTIVE_ISSUED = "directive_issued"
    DIRECTIVE_REMINDER = "directive_reminder"
    DIRECTIVE_OVERDUE = "directive_overdue"
    TEST = "test"


class NotificationStatus(StrEnum):
    PENDING = "pending"  # a delivery is queued or under way
    DELIVERED = "delivered"
    FAILED = "failed"  # every channel failed, or none reaches the person
    CANCELLED = "cancelled"  # no longer needed (the incident was acknowledged)
    IN_DOUBT = "in_doubt"  # interrupted while sending; not sent again


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # waiting for its (next) attempt
    SENDING = "sending"  # claimed: an attempt is under way
    SENT = "sent"
    FAILED = "failed"  # gave up on this channel
    CANCELLED = "cancelled"
    IN_DOUBT = "in_doubt"  # interrupted while sending: never sent again, to avoid a duplicate


OPEN_DELIVERY_STATUSES = frozenset({DeliveryStatus.PENDING, DeliveryStatus.SENDING})
