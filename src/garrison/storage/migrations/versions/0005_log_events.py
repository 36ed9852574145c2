"""Log ingestion: recent normalised events (searchable) and file tail offsets.

Revision ID: 0005_log_events
Revises: 0003_audit
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from garrison.storage.base import UTCDateTime

revision = "0005_log_events"
down_revision = "0003_audit"
branch_labels = ("log_events",)
depends_on = None

_ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "log_event",
        sa.Column("id", _ROW_ID, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("occurred_at", UTCDateTime(), nullable=True),
        sa.Column("host", sa.String(255), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("parser", sa.String(32), nullable=False),
        sa.Column("product", sa.String(64), nullable=True),
        sa.Column("service", sa.String(64), nullable=True),
        sa.Column("category", sa.String(64), nullable=True),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
    )
    op.create_index("ix_log_event_source_received", "log_event", ["source", "received_at"])
    op.create_index("ix_log_event_received_at", "log_event", ["received_at"])
    op.create_index("ix_log_event_kind", "log_event", ["kind"])
    op.create_table(
        "log_file_offset",
        sa.Column("source", sa.String(64), primary_key=True),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("device", sa.BigInteger(), nullable=False),
        sa.Column("inode", sa.BigInteger(), nullable=False),
        sa.Column("offset", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("log_file_offset")
    op.drop_index("ix_log_event_kind", table_name="log_event")
    op.drop_index("ix_log_event_received_at", table_name="log_event")
    op.drop_index("ix_log_event_source_received", table_name="log_event")
    op.drop_table("log_event")
