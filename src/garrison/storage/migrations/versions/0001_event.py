"""The event's configuration mirror.

Revision ID: 0001_event
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from garrison.storage.base import UTCDateTime

revision = "0001_event"
down_revision = None
branch_labels = None
depends_on = None


def _item_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("retired_at", UTCDateTime(), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "event",
        *_item_columns(),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("ends_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "phase",
        *_item_columns(),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("ends_at", UTCDateTime(), nullable=False),
    )
    op.create_table("site", *_item_columns())
    op.create_table("unit", *_item_columns())
    op.create_table(
        "person",
        *_item_columns(),
        sa.Column(
            "unit_id",
            sa.String(64),
            sa.ForeignKey("unit.id", name="fk_person_unit_id_unit"),
            nullable=False,
        ),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("username", sa.String(64), nullable=True),
    )
    op.create_index("ix_person_unit_id", "person", ["unit_id"])
    op.create_table(
        "post",
        *_item_columns(),
        sa.Column(
            "unit_id",
            sa.String(64),
            sa.ForeignKey("unit.id", name="fk_post_unit_id_unit"),
            nullable=False,
        ),
        sa.Column(
            "site_id",
            sa.String(64),
            sa.ForeignKey("site.id", name="fk_post_site_id_site"),
            nullable=True,
        ),
    )
    op.create_index("ix_post_unit_id", "post", ["unit_id"])
    op.create_table(
        "service",
        *_item_columns(),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("criticality", sa.String(32), nullable=False),
        sa.Column(
            "unit_id",
            sa.String(64),
            sa.ForeignKey("unit.id", name="fk_service_unit_id_unit"),
            nullable=False,
        ),
        sa.Column(
            "site_id",
            sa.String(64),
            sa.ForeignKey("site.id", name="fk_service_site_id_site"),
            nullable=True,
        ),
    )
    op.create_index("ix_service_unit_id", "service", ["unit_id"])
    op.create_table(
        "config_sync",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("synced_at", UTCDateTime(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("retired", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    for table in ("config_sync", "service", "post", "person", "unit", "site", "phase", "event"):
        op.drop_table(table)
