"""Incidents: signals, alerts, incidents, their timeline and attachments, integrations.

Revision ID: 0007_incidents
Revises: 0003_audit
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from garrison.storage.base import UTCDateTime

revision = "0007_incidents"
down_revision = "0003_audit"
branch_labels = ("incidents",)
depends_on = None

_APPEND_ONLY_MESSAGE = "incident_timeline is append-only"


def _fk(table: str, column: str, target: str) -> sa.ForeignKey:
    return sa.ForeignKey(f"{target}.id", name=f"fk_{table}_{column}_{target}")


def upgrade() -> None:
    op.create_table(
        "incident_integration",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("key_prefix", sa.String(16), nullable=False),
        sa.Column("default_severity", sa.String(8), nullable=False),
        sa.Column("default_category", sa.String(32), nullable=False),
        sa.Column("rate_limit_per_minute", sa.Integer(), nullable=False),
        sa.Column("managed_by", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("disabled_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("key_hash", name="uq_incident_integration_key_hash"),
    )
    policy = op.create_table(
        "incident_policy",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=True),
        sa.Column("signal_count", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name="ck_incident_policy_single_row"),
    )
    op.bulk_insert(policy, [{"id": 1, "data": {}, "digest": "", "signal_count": 0}])
    _create_incident()
    _create_alert_and_signal()
    op.create_table(
        "incident_group_key",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "incident_id",
            sa.Integer(),
            _fk("incident_group_key", "incident_id", "incident"),
            nullable=False,
        ),
        sa.Column("key", sa.String(300), nullable=False),
        sa.Column("last_seen_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("incident_id", "key", name="uq_incident_group_key_incident_id_key"),
    )
    op.create_index("ix_incident_group_key_key", "incident_group_key", ["key"])
    op.create_table(
        "incident_access",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "incident_id",
            sa.Integer(),
            _fk("incident_access", "incident_id", "incident"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("ref", sa.String(64), nullable=False),
        sa.UniqueConstraint(
            "incident_id", "kind", "ref", name="uq_incident_access_incident_id_kind_ref"
        ),
    )
    op.create_index("ix_incident_access_incident_id", "incident_access", ["incident_id"])
    _create_timeline()
    op.create_table(
        "incident_attachment",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "incident_id",
            sa.Integer(),
            _fk("incident_attachment", "incident_id", "incident"),
            nullable=False,
        ),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("stored_name", sa.String(64), nullable=False),
        sa.Column("uploaded_at", UTCDateTime(), nullable=False),
        sa.Column("uploaded_by", sa.String(200), nullable=False),
    )
    op.create_index("ix_incident_attachment_incident_id", "incident_attachment", ["incident_id"])


def _create_incident() -> None:
    op.create_table(
        "incident",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("severity", sa.String(8), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("classification", sa.String(16), nullable=False),
        sa.Column("is_drill", sa.Boolean(), nullable=False),
        sa.Column("is_storm", sa.Boolean(), nullable=False),
        sa.Column("services", sa.JSON(), nullable=False),
        sa.Column("sites", sa.JSON(), nullable=False),
        sa.Column(
            "commander_id",
            sa.Integer(),
            _fk("incident", "commander_id", "user_account"),
            nullable=True,
        ),
        sa.Column(
            "assignee_id",
            sa.Integer(),
            _fk("incident", "assignee_id", "user_account"),
            nullable=True,
        ),
        sa.Column("resolution_summary", sa.Text(), nullable=True),
        sa.Column("root_cause", sa.Text(), nullable=True),
        sa.Column(
            "merged_into_id",
            sa.Integer(),
            _fk("incident", "merged_into_id", "incident"),
            nullable=True,
        ),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("opened_by", sa.String(200), nullable=False),
        sa.Column("acknowledged_at", UTCDateTime(), nullable=True),
        sa.Column("acknowledged_by", sa.String(200), nullable=True),
        sa.Column("mitigated_at", UTCDateTime(), nullable=True),
        sa.Column("mitigated_by", sa.String(200), nullable=True),
        sa.Column("resolved_at", UTCDateTime(), nullable=True),
        sa.Column("resolved_by", sa.String(200), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("closed_by", sa.String(200), nullable=True),
        sa.Column("reopen_count", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("ix_incident_status", "incident", ["status"])
    op.create_index("ix_incident_opened_at", "incident", ["opened_at"])


def _create_alert_and_signal() -> None:
    op.create_table(
        "incident_alert",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(80), nullable=False),
        sa.Column("source_kind", sa.String(16), nullable=False),
        sa.Column("dedup_key", sa.String(255), nullable=False),
        sa.Column("open_key", sa.String(255), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("summary", sa.String(1024), nullable=False),
        sa.Column("severity", sa.String(8), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("service_id", sa.String(64), nullable=True),
        sa.Column("site_id", sa.String(64), nullable=True),
        sa.Column("pages", sa.Boolean(), nullable=False),
        sa.Column("is_drill", sa.Boolean(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("group_keys", sa.JSON(), nullable=False),
        sa.Column("first_seen_at", UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", UTCDateTime(), nullable=False),
        sa.Column("resolved_at", UTCDateTime(), nullable=True),
        sa.Column("signal_count", sa.Integer(), nullable=False),
        sa.Column(
            "incident_id",
            sa.Integer(),
            _fk("incident_alert", "incident_id", "incident"),
            nullable=True,
        ),
        sa.UniqueConstraint("source", "open_key", name="uq_incident_alert_source_open_key"),
    )
    op.create_index("ix_incident_alert_incident_id", "incident_alert", ["incident_id"])
    op.create_table(
        "incident_signal",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("source", sa.String(80), nullable=False),
        sa.Column("source_kind", sa.String(16), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("dedup_key", sa.String(255), nullable=False),
        sa.Column("summary", sa.String(1024), nullable=False),
        sa.Column("severity", sa.String(8), nullable=True),
        sa.Column("is_drill", sa.Boolean(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column(
            "alert_id",
            sa.Integer(),
            _fk("incident_signal", "alert_id", "incident_alert"),
            nullable=True,
        ),
        sa.Column(
            "incident_id",
            sa.Integer(),
            _fk("incident_signal", "incident_id", "incident"),
            nullable=True,
        ),
    )
    op.create_index("ix_incident_signal_source_at", "incident_signal", ["source", "received_at"])


def _create_timeline() -> None:
    op.create_table(
        "incident_timeline",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "incident_id",
            sa.Integer(),
            _fk("incident_timeline", "incident_id", "incident"),
            nullable=False,
        ),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("actor_kind", sa.String(16), nullable=False),
        sa.Column("actor_id", sa.String(64), nullable=True),
        sa.Column("actor_name", sa.String(200), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
    )
    op.create_index("ix_incident_timeline_incident_id", "incident_timeline", ["incident_id"])
    # The timeline is a record: the database itself refuses to change or remove an entry.
    if op.get_bind().dialect.name == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER incident_timeline_no_{event.lower()} BEFORE {event} "
                f"ON incident_timeline BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY_MESSAGE}'); END"
            )
    else:
        op.execute(
            "CREATE FUNCTION incident_timeline_append_only() RETURNS trigger "
            f"LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '{_APPEND_ONLY_MESSAGE}'; END $$"
        )
        op.execute(
            "CREATE TRIGGER incident_timeline_append_only BEFORE UPDATE OR DELETE "
            "ON incident_timeline FOR EACH ROW EXECUTE FUNCTION incident_timeline_append_only()"
        )


def downgrade() -> None:
    for table in (
        "incident_attachment",
        "incident_timeline",
        "incident_access",
        "incident_group_key",
        "incident_signal",
        "incident_alert",
        "incident",
        "incident_policy",
        "incident_integration",
    ):
        op.drop_table(table)
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP FUNCTION IF EXISTS incident_timeline_append_only()")
