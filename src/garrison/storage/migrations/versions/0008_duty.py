"""24/24 duty: run-time overrides and swaps, handover notes, check-ins, gap alerts.

Revision ID: 0008_duty
Revises: 0003_audit
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from garrison.storage.base import UTCDateTime

revision = "0008_duty"
down_revision = "0003_audit"
branch_labels = ("duty",)
depends_on = None


def _change_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("cancelled_at", UTCDateTime(), nullable=True),
        sa.Column("cancelled_by", sa.String(200), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "duty_override",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("post_id", sa.String(64), nullable=False),
        sa.Column("person_id", sa.String(64), nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("ends_at", UTCDateTime(), nullable=False),
        *_change_columns(),
    )
    op.create_index("ix_duty_override_post_id", "duty_override", ["post_id"])
    op.create_table(
        "duty_swap",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("post_id", sa.String(64), nullable=False),
        sa.Column("layer", sa.String(64), nullable=False),
        sa.Column("first_person_id", sa.String(64), nullable=False),
        sa.Column("first_shift_start", UTCDateTime(), nullable=False),
        sa.Column("second_person_id", sa.String(64), nullable=False),
        sa.Column("second_shift_start", UTCDateTime(), nullable=False),
        *_change_columns(),
    )
    op.create_index("ix_duty_swap_post_id", "duty_swap", ["post_id"])
    op.create_table(
        "duty_handover",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("post_id", sa.String(64), nullable=False),
        sa.Column("outgoing_person_id", sa.String(64), nullable=False),
        sa.Column("shift_start", UTCDateTime(), nullable=False),
        sa.Column("shift_end", UTCDateTime(), nullable=False),
        sa.Column("incoming_person_id", sa.String(64), nullable=True),
        sa.Column("remarks", sa.Text(), nullable=False),
        sa.Column("open_incidents", sa.JSON(), nullable=False),
        sa.Column("pending_directives", sa.JSON(), nullable=False),
        sa.Column("reference_list", sa.JSON(), nullable=False),
        sa.Column("written_at", UTCDateTime(), nullable=False),
        sa.Column("written_by", sa.String(200), nullable=False),
        sa.Column("acknowledged_at", UTCDateTime(), nullable=True),
        sa.Column("acknowledged_by", sa.String(200), nullable=True),
        sa.Column("acknowledgement_remarks", sa.Text(), nullable=True),
        sa.UniqueConstraint(
            "post_id",
            "outgoing_person_id",
            "shift_start",
            name="uq_duty_handover_post_id_outgoing_person_id_shift_start",
        ),
    )
    op.create_index("ix_duty_handover_post_id", "duty_handover", ["post_id"])
    op.create_table(
        "duty_checkin",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("post_id", sa.String(64), nullable=False),
        sa.Column("person_id", sa.String(64), nullable=False),
        sa.Column("shift_start", UTCDateTime(), nullable=False),
        sa.Column("shift_end", UTCDateTime(), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("checked_in_at", UTCDateTime(), nullable=True),
        sa.Column("checked_in_by", sa.String(200), nullable=True),
        sa.Column("missed_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint(
            "post_id",
            "person_id",
            "shift_start",
            name="uq_duty_checkin_post_id_person_id_shift_start",
        ),
    )
    op.create_index("ix_duty_checkin_post_id", "duty_checkin", ["post_id"])
    op.create_table(
        "duty_gap_alert",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("post_id", sa.String(64), nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("ends_at", UTCDateTime(), nullable=False),
        sa.Column("alerted_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint(
            "post_id", "starts_at", "ends_at", name="uq_duty_gap_alert_post_id_starts_at_ends_at"
        ),
    )


def downgrade() -> None:
    op.drop_table("duty_gap_alert")
    op.drop_index("ix_duty_checkin_post_id", table_name="duty_checkin")
    op.drop_table("duty_checkin")
    op.drop_index("ix_duty_handover_post_id", table_name="duty_handover")
    op.drop_table("duty_handover")
    op.drop_index("ix_duty_swap_post_id", table_name="duty_swap")
    op.drop_table("duty_swap")
    op.drop_index("ix_duty_override_post_id", table_name="duty_override")
    op.drop_table("duty_override")
