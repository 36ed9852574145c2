"""Tables of drills: a run of a drill plan and its injects (what was injected, when, and
which incident it became)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from garrison.storage.base import Base, UTCDateTime

ID_LENGTH = 64
NAME_LENGTH = 200


class DrillRun(Base):
    __tablename__ = "drill_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    plan_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    announced: Mapped[bool] = mapped_column(Boolean)
    notify_leadership: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(16))  # "running", "finished", "cancelled"
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_by: Mapped[str] = mapped_column(String(NAME_LENGTH))
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class DrillInjectRecord(Base):
    __tablename__ = "drill_inject"
    __table_args__ = (Index("ix_drill_inject_due", "injected_at", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("drill_run.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(NAME_LENGTH))
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    injected_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    incident_id: Mapped[int | None] = mapped_column(Integer, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
