"""Detection alerts and the addresses administrators logged in from.

Revision ID: 0006_detections
Revises: 0003_audit
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from garrison.storage.base import UTCDateTime

revision = "0006_detections"
down_revision = "0003_audit"
branch_labels = ("detections",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "detection_alert",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("alert_id", sa.String(36), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("rule_id", sa.String(200), nullable=False),
        sa.Column("rule_title", sa.String(500), nullable=False),
        sa.Column("rule_level", sa.String(16), nullable=False),
        sa.Column("rule_author", sa.String(500), nullable=False),
        sa.Column("rule_license", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("source_address", sa.String(64), nullable=True),
        sa.Column("host", sa.String(255), nullable=True),
        sa.Column("matched_fields", sa.JSON(), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("first_seen_at", UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", UTCDateTime(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("is_drill", sa.Boolean(), nullable=False),
        sa.UniqueConstraint("alert_id", name="uq_detection_alert_alert_id"),
    )
    op.create_index(
        "ix_detection_alert_fingerprint", "detection_alert", ["fingerprint", "last_seen_at"]
    )
    op.create_index("ix_detection_alert_rule_id", "detection_alert", ["rule_id"])
    op.create_index("ix_detection_alert_last_seen_at", "detection_alert", ["last_seen_at"])
    op.create_index("ix_detection_alert_source_address", "detection_alert", ["source_address"])
    op.create_table(
        "detection_known_address",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("account", sa.String(200), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("first_seen_at", UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("account", "address", name="uq_detection_known_address"),
    )


def downgrade() -> None:
    op.drop_table("detection_known_address")
    for index in (
        "ix_detection_alert_source_address",
        "ix_detection_alert_last_seen_at",
        "ix_detection_alert_rule_id",
        "ix_detection_alert_fingerprint",
    ):
        op.drop_index(index, table_name="detection_alert")
    op.drop_table("detection_alert")
