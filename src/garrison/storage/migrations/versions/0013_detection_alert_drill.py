"""Detection alerts remember the drill run and inject they came from.

Revision ID: 0013_detection_alert_drill
Revises: 0006_detections
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_detection_alert_drill"
down_revision = "0006_detections"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("detection_alert") as batch:
        batch.add_column(sa.Column("drill_run_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("drill_inject", sa.Integer(), nullable=True))
    op.create_index("ix_detection_alert_drill", "detection_alert", ["drill_run_id", "drill_inject"])


def downgrade() -> None:
    op.drop_index("ix_detection_alert_drill", table_name="detection_alert")
    with op.batch_alter_table("detection_alert") as batch:
        batch.drop_column("drill_inject")
        batch.drop_column("drill_run_id")
