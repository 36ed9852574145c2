"""Tables of readiness.

- ``readiness_plan_edit``: a plan edited at run time; wins over the configured plan while
  the configured plan is the one it was edited from (``config_digest``).
- ``readiness_checklist`` / ``readiness_checklist_step``: a plan's runbook attached to an
  incident; ticked steps also go on the incident's timeline.
- ``readiness_task`` / ``readiness_evidence``: tasks with owner, unit, deadline, evidence.
- ``readiness_inspection`` / ``readiness_inspection_item``: a checklist carried out.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from garrison.storage.base import Base, UTCDateTime

ID_LENGTH = 64
NAME_LENGTH = 200
MAX_TEXT_LENGTH = 4000


class PlanEdit(Base):
    __tablename__ = "readiness_plan_edit"

    plan_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    config_digest: Mapped[str] = mapped_column(String(64))
    edited_at: Mapped[datetime] = mapped_column(UTCDateTime())
    edited_by: Mapped[str] = mapped_column(String(NAME_LENGTH))


class Checklist(Base):
    __tablename__ = "readiness_checklist"
    __table_args__ = (UniqueConstraint("incident_id", "plan_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(Integer, index=True)
    plan_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    plan_name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    attached_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ChecklistStep(Base):
    __tablename__ = "readiness_checklist_step"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    checklist_id: Mapped[int] = mapped_column(ForeignKey("readiness_checklist.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(NAME_LENGTH))
    owner_role: Mapped[str] = mapped_column(String(NAME_LENGTH))
    expected_minutes: Mapped[float] = mapped_column(Float)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    done_by: Mapped[str | None] = mapped_column(String(NAME_LENGTH), default=None)
    note: Mapped[str | None] = mapped_column(Text, default=None)


class ReadinessTask(Base):
    __tablename__ = "readiness_task"
    __table_args__ = (Index("ix_readiness_task_status_deadline", "status", "deadline"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(NAME_LENGTH))
    description: Mapped[str] = mapped_column(Text, default="")
    owner_person_id: Mapped[str | None] = mapped_column(String(ID_LENGTH), default=None)
    unit_id: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    deadline: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16))
    inspection_item_id: Mapped[int | None] = mapped_column(Integer, default=None)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    overdue_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    completed_by: Mapped[str | None] = mapped_column(String(NAME_LENGTH), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(NAME_LENGTH))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Evidence(Base):
    __tablename__ = "readiness_evidence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("readiness_task.id"), index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    filename: Mapped[str | None] = mapped_column(String(NAME_LENGTH), default=None)
    stored_name: Mapped[str | None] = mapped_column(String(80), default=None)
    size: Mapped[int] = mapped_column(Integer, default=0)
    sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())
    added_by: Mapped[str] = mapped_column(String(NAME_LENGTH))


class Inspection(Base):
    __tablename__ = "readiness_inspection"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    checklist_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    unit_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    inspector: Mapped[str] = mapped_column(String(NAME_LENGTH))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class InspectionItem(Base):
    __tablename__ = "readiness_inspection_item"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("readiness_inspection.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(String(NAME_LENGTH))
    result: Mapped[str] = mapped_column(String(8))  # "pending", "pass" or "fail"
    evidence: Mapped[str] = mapped_column(Text, default="")
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    checked_by: Mapped[str | None] = mapped_column(String(NAME_LENGTH), default=None)
    task_id: Mapped[int | None] = mapped_column(Integer, default=None)
