"""Shift reports written at handover.

Revision ID: 0014_report_shift
Revises: 0012_readiness
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from garrison.storage.base import UTCDateTime

revision = "0014_report_shift"
down_revision = "0012_readiness"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_shift",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("post_id", sa.String(64), nullable=False),
        sa.Column("person_id", sa.String(64), nullable=False),
        sa.Column("shift_start", UTCDateTime(), nullable=False),
        sa.Column("shift_end", UTCDateTime(), nullable=False),
        sa.Column("handover_id", sa.Integer(), nullable=True),
        sa.Column("since", UTCDateTime(), nullable=False),
        sa.Column("until", UTCDateTime(), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("html", sa.LargeBinary(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("generated_at", UTCDateTime(), nullable=False),
        sa.Column("delivery_started_at", UTCDateTime(), nullable=True),
        sa.Column("delivered_at", UTCDateTime(), nullable=True),
        sa.Column("sent_to", sa.JSON(), nullable=False),
        sa.Column("delivery_error", sa.Text(), nullable=True),
        sa.UniqueConstraint("post_id", "person_id", "shift_start", name="uq_report_shift_stretch"),
        sa.UniqueConstraint("handover_id", name="uq_report_shift_handover_id"),
    )
    op.create_index("ix_report_shift_post_id", "report_shift", ["post_id"])


def downgrade() -> None:
    op.drop_index("ix_report_shift_post_id", table_name="report_shift")
    op.drop_table("report_shift")
