"""Readiness and drills: plan edits, runbook checklists, tasks and evidence, inspections,
drill runs and their injects.

Revision ID: 0012_readiness
Revises: 0003_audit
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from garrison.storage.base import UTCDateTime

revision = "0012_readiness"
down_revision = "0003_audit"
branch_labels = ("readiness",)
depends_on = None


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True)


def upgrade() -> None:
    op.create_table(
        "readiness_plan_edit",
        sa.Column("plan_id", sa.String(64), primary_key=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("config_digest", sa.String(64), nullable=False),
        sa.Column("edited_at", UTCDateTime(), nullable=False),
        sa.Column("edited_by", sa.String(200), nullable=False),
    )
    op.create_table(
        "readiness_checklist",
        _id(),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.String(64), nullable=False),
        sa.Column("plan_name", sa.String(200), nullable=False),
        sa.Column("attached_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint(
            "incident_id", "plan_id", name="uq_readiness_checklist_incident_id_plan_id"
        ),
    )
    op.create_index("ix_readiness_checklist_incident_id", "readiness_checklist", ["incident_id"])
    op.create_table(
        "readiness_checklist_step",
        _id(),
        sa.Column(
            "checklist_id", sa.Integer(), sa.ForeignKey("readiness_checklist.id"), nullable=False
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("owner_role", sa.String(200), nullable=False),
        sa.Column("expected_minutes", sa.Float(), nullable=False),
        sa.Column("done_at", UTCDateTime(), nullable=True),
        sa.Column("done_by", sa.String(200), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
    )
    op.create_index(
        "ix_readiness_checklist_step_checklist_id", "readiness_checklist_step", ["checklist_id"]
    )
    op.create_table(
        "readiness_task",
        _id(),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner_person_id", sa.String(64), nullable=True),
        sa.Column("unit_id", sa.String(64), nullable=False),
        sa.Column("deadline", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("inspection_item_id", sa.Integer(), nullable=True),
        sa.Column("reminded_at", UTCDateTime(), nullable=True),
        sa.Column("overdue_at", UTCDateTime(), nullable=True),
        sa.Column("escalated_at", UTCDateTime(), nullable=True),
        sa.Column("completed_at", UTCDateTime(), nullable=True),
        sa.Column("completed_by", sa.String(200), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_readiness_task_unit_id", "readiness_task", ["unit_id"])
    op.create_index("ix_readiness_task_status_deadline", "readiness_task", ["status", "deadline"])
    op.create_table(
        "readiness_evidence",
        _id(),
        sa.Column("task_id", sa.Integer(), sa.ForeignKey("readiness_task.id"), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("filename", sa.String(200), nullable=True),
        sa.Column("stored_name", sa.String(80), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("added_at", UTCDateTime(), nullable=False),
        sa.Column("added_by", sa.String(200), nullable=False),
    )
    op.create_index("ix_readiness_evidence_task_id", "readiness_evidence", ["task_id"])
    op.create_table(
        "readiness_inspection",
        _id(),
        sa.Column("checklist_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("unit_id", sa.String(64), nullable=False),
        sa.Column("inspector", sa.String(200), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
    )
    op.create_table(
        "readiness_inspection_item",
        _id(),
        sa.Column(
            "inspection_id",
            sa.Integer(),
            sa.ForeignKey("readiness_inspection.id"),
            nullable=False,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(200), nullable=False),
        sa.Column("result", sa.String(8), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("checked_at", UTCDateTime(), nullable=True),
        sa.Column("checked_by", sa.String(200), nullable=True),
        sa.Column("task_id", sa.Integer(), nullable=True),
    )
    op.create_index(
        "ix_readiness_inspection_item_inspection_id",
        "readiness_inspection_item",
        ["inspection_id"],
    )
    op.create_table(
        "drill_run",
        _id(),
        sa.Column("plan_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("announced", sa.Boolean(), nullable=False),
        sa.Column("notify_leadership", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("started_by", sa.String(200), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
    )
    op.create_table(
        "drill_inject",
        _id(),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("drill_run.id"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("injected_at", UTCDateTime(), nullable=True),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
    )
    op.create_index("ix_drill_inject_run_id", "drill_inject", ["run_id"])
    op.create_index("ix_drill_inject_due", "drill_inject", ["injected_at", "due_at"])


def downgrade() -> None:
    op.drop_index("ix_drill_inject_due", table_name="drill_inject")
    op.drop_index("ix_drill_inject_run_id", table_name="drill_inject")
    op.drop_table("drill_inject")
    op.drop_table("drill_run")
    op.drop_index(
        "ix_readiness_inspection_item_inspection_id", table_name="readiness_inspection_item"
    )
    op.drop_table("readiness_inspection_item")
    op.drop_table("readiness_inspection")
    op.drop_index("ix_readiness_evidence_task_id", table_name="readiness_evidence")
    op.drop_table("readiness_evidence")
    op.drop_index("ix_readiness_task_status_deadline", table_name="readiness_task")
    op.drop_index("ix_readiness_task_unit_id", table_name="readiness_task")
    op.drop_table("readiness_task")
    op.drop_index("ix_readiness_checklist_step_checklist_id", table_name="readiness_checklist_step")
    op.drop_table("readiness_checklist_step")
    op.drop_index("ix_readiness_checklist_incident_id", table_name="readiness_checklist")
    op.drop_table("readiness_checklist")
    op.drop_table("readiness_plan_edit")
