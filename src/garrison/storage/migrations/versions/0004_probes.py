"""The probe engine: checks, states, results, rollups, history, maintenance, baselines.

Revision ID: 0004_probes
Revises: 0003_audit
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from garrison.storage.base import UTCDateTime

revision = "0004_probes"
down_revision = "0003_audit"
branch_labels = ("probes",)
depends_on = None

_ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _json(nullable: bool = False) -> sa.JSON:
    return sa.JSON(none_as_null=True) if nullable else sa.JSON()


def upgrade() -> None:
    op.create_table(
        "probe_check",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("retired_at", UTCDateTime(), nullable=True),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("service_id", sa.String(64), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_probe_check_service_id", "probe_check", ["service_id"])
    op.create_table(
        "probe_check_state",
        sa.Column("check_id", sa.String(64), primary_key=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("since", UTCDateTime(), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("paused_at", UTCDateTime(), nullable=True),
        sa.Column("paused_by", sa.String(200), nullable=True),
        sa.Column("paused_reason", sa.String(500), nullable=True),
        sa.Column("last_result_at", UTCDateTime(), nullable=True),
        sa.Column("last_ok", sa.Boolean(), nullable=True),
        sa.Column("last_reason", sa.String(500), nullable=True),
        sa.Column("last_latency_ms", sa.Float(), nullable=True),
        sa.Column("last_details", _json(nullable=True), nullable=True),
        sa.Column("snapshot", _json(nullable=True), nullable=True),
        sa.Column("snapshot_at", UTCDateTime(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "probe_service_state",
        sa.Column("service_id", sa.String(64), primary_key=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("measured", sa.String(16), nullable=False),
        sa.Column("since", UTCDateTime(), nullable=False),
        sa.Column("caused_by", sa.String(64), nullable=True),
        sa.Column("in_maintenance", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "probe_result",
        sa.Column("id", _ROW_ID, primary_key=True, autoincrement=True),
        sa.Column("check_id", sa.String(64), nullable=False),
        sa.Column("location", sa.String(64), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("latency_ms", sa.Float(), nullable=True),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("severity", sa.String(16), nullable=True),
        sa.Column("phases", sa.JSON(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
    )
    op.create_index("ix_probe_result_check_started", "probe_result", ["check_id", "started_at"])
    op.create_index("ix_probe_result_started", "probe_result", ["started_at"])
    op.create_table(
        "probe_rollup",
        sa.Column("check_id", sa.String(64), primary_key=True),
        sa.Column("location", sa.String(64), primary_key=True),
        sa.Column("minute", UTCDateTime(), primary_key=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("latency_count", sa.Integer(), nullable=False),
        sa.Column("latency_sum", sa.Float(), nullable=False),
        sa.Column("latency_min", sa.Float(), nullable=True),
        sa.Column("latency_max", sa.Float(), nullable=True),
        sa.Column("buckets", sa.JSON(), nullable=False),
    )
    op.create_table(
        "probe_state_change",
        sa.Column("id", _ROW_ID, primary_key=True, autoincrement=True),
        sa.Column("subject_kind", sa.String(16), nullable=False),
        sa.Column("subject_id", sa.String(64), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("previous", sa.String(16), nullable=False),
        sa.Column("current", sa.String(16), nullable=False),
        sa.Column("measured", sa.String(16), nullable=False),
        sa.Column("in_maintenance", sa.Boolean(), nullable=False),
        sa.Column("caused_by", sa.String(64), nullable=True),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
    )
    op.create_index(
        "ix_probe_state_change_subject", "probe_state_change", ["subject_kind", "subject_id", "at"]
    )
    op.create_index("ix_probe_state_change_at", "probe_state_change", ["at"])
    op.create_table(
        "probe_maintenance",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("services", sa.JSON(), nullable=False),
        sa.Column("checks", sa.JSON(), nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=True),
        sa.Column("ends_at", UTCDateTime(), nullable=True),
        sa.Column("recurrence", _json(nullable=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("retired_at", UTCDateTime(), nullable=True),
    )
    op.create_table(
        "probe_baseline",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("check_id", sa.String(64), nullable=False),
        sa.Column("approved_at", UTCDateTime(), nullable=False),
        sa.Column("approved_by", sa.String(200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("script_origins", sa.JSON(), nullable=False),
        sa.Column("iframe_origins", sa.JSON(), nullable=False),
        sa.Column("link_origins", sa.JSON(), nullable=False),
        sa.Column("retired_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_probe_baseline_check_id", "probe_baseline", ["check_id"])
    op.create_table(
        "probe_heartbeat",
        sa.Column("check_id", sa.String(64), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=True),
        sa.Column("token_source", sa.String(16), nullable=True),
        sa.Column("token_set_at", UTCDateTime(), nullable=True),
        sa.Column("last_beat_at", UTCDateTime(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("probe_heartbeat")
    op.drop_index("ix_probe_baseline_check_id", table_name="probe_baseline")
    op.drop_table("probe_baseline")
    op.drop_table("probe_maintenance")
    op.drop_index("ix_probe_state_change_at", table_name="probe_state_change")
    op.drop_index("ix_probe_state_change_subject", table_name="probe_state_change")
    op.drop_table("probe_state_change")
    op.drop_table("probe_rollup")
    op.drop_index("ix_probe_result_started", table_name="probe_result")
    op.drop_index("ix_probe_result_check_started", table_name="probe_result")
    op.drop_table("probe_result")
    op.drop_table("probe_service_state")
    op.drop_table("probe_check_state")
    op.drop_index("ix_probe_check_service_id", table_name="probe_check")
    op.drop_table("probe_check")
