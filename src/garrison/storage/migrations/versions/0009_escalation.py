"""Escalation, notifications (the outbox) and directives.

Revision ID: 0009_escalation
Revises: 0003_audit
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from garrison.storage.base import UTCDateTime

revision = "0009_escalation"
down_revision = "0003_audit"
branch_labels = ("escalation",)
depends_on = None


def upgrade() -> None:
    _create_escalation()
    _create_notification()
    _create_delivery_and_attempt()
    _create_directive()


def _create_escalation() -> None:
    op.create_table(
        "escalation",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.String(64), nullable=False),
        sa.Column("policy", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("step_index", sa.Integer(), nullable=False),
        sa.Column("pass_index", sa.Integer(), nullable=False),
        sa.Column("next_due_at", UTCDateTime(), nullable=True),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("last_fired_at", UTCDateTime(), nullable=True),
        sa.Column("stopped_at", UTCDateTime(), nullable=True),
        sa.Column("stop_reason", sa.String(32), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.UniqueConstraint("incident_id", name="uq_escalation_incident_id"),
    )
    op.create_index("ix_escalation_due", "escalation", ["status", "next_due_at"])


def _create_notification() -> None:
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("directive_id", sa.Integer(), nullable=True),
        sa.Column("recipient_id", sa.String(64), nullable=False),
        sa.Column("recipient_name", sa.String(200), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("delivered_at", UTCDateTime(), nullable=True),
        sa.Column("delivered_channel", sa.String(16), nullable=True),
        sa.Column("ack_expires_at", UTCDateTime(), nullable=True),
        sa.Column("ack_used_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("key", name="uq_notification_key"),
    )
    op.create_index("ix_notification_incident_id", "notification", ["incident_id"])
    op.create_index("ix_notification_directive_id", "notification", ["directive_id"])
    op.create_index("ix_notification_created_at", "notification", ["created_at"])


def _create_delivery_and_attempt() -> None:
    op.create_table(
        "notification_delivery",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "notification_id",
            sa.Integer(),
            sa.ForeignKey(
                "notification.id", name="fk_notification_delivery_notification_id_notification"
            ),
            nullable=False,
        ),
        sa.Column("key", sa.String(220), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("address", sa.String(300), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("claimed_until", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("key", name="uq_notification_delivery_key"),
    )
    op.create_index(
        "ix_notification_delivery_notification_id", "notification_delivery", ["notification_id"]
    )
    op.create_index(
        "ix_notification_delivery_due", "notification_delivery", ["status", "next_attempt_at"]
    )
    op.create_table(
        "notification_attempt",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "delivery_id",
            sa.Integer(),
            sa.ForeignKey(
                "notification_delivery.id",
                name="fk_notification_attempt_delivery_id_notification_delivery",
            ),
            nullable=False,
        ),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("error", sa.String(500), nullable=True),
        sa.UniqueConstraint(
            "delivery_id", "number", name="uq_notification_attempt_delivery_id_number"
        ),
    )
    op.create_index("ix_notification_attempt_delivery_id", "notification_attempt", ["delivery_id"])


def _create_directive() -> None:
    op.create_table(
        "directive",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("target_kind", sa.String(8), nullable=False),
        sa.Column("target_id", sa.String(64), nullable=False),
        sa.Column("receiver_person_id", sa.String(64), nullable=True),
        sa.Column("issuer_user_id", sa.Integer(), nullable=False),
        sa.Column("issuer_username", sa.String(200), nullable=False),
        sa.Column("issuer_person_id", sa.String(64), nullable=True),
        sa.Column("deadline", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("overdue_stage", sa.Integer(), nullable=False),
        sa.Column("reminded_at", UTCDateTime(), nullable=True),
        sa.Column("escalated_at", UTCDateTime(), nullable=True),
        sa.Column("acknowledged_at", UTCDateTime(), nullable=True),
        sa.Column("acknowledged_by", sa.String(200), nullable=True),
        sa.Column("completed_at", UTCDateTime(), nullable=True),
        sa.Column("completed_by", sa.String(200), nullable=True),
        sa.Column("completion_note", sa.Text(), nullable=True),
        sa.Column("cancelled_at", UTCDateTime(), nullable=True),
        sa.Column("cancelled_by", sa.String(200), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("ix_directive_status_deadline", "directive", ["status", "deadline"])
    op.create_index("ix_directive_incident_id", "directive", ["incident_id"])
    op.create_index("ix_directive_issuer_user_id", "directive", ["issuer_user_id"])


def downgrade() -> None:
    op.drop_table("directive")
    op.drop_table("notification_attempt")
    op.drop_table("notification_delivery")
    op.drop_table("notification")
    op.drop_table("escalation")
