"""The escalation of each incident: its frozen policy and where it stands.

One row per incident. ``policy`` is a copy of the policy taken when the incident
opened, so that editing the configuration never reroutes a live incident.
``step_index`` and ``pass_index`` name the next step to fire and ``next_due_at``
when: the timer lives in the database and survives any restart.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from garrison.storage.base import Base, UTCDateTime


class EscalationStatus(StrEnum):
    ACTIVE = "active"
    STOPPED = "stopped"  # acknowledged, resolved, or stopped by hand
    EXHAUSTED = "exhausted"  # every step of every round fired; nobody acknowledged
    SUPPRESSED = "suppressed"  # maintenance or a failed dependency: nothing to page
    UNROUTED = "unrouted"  # no policy applies


class EscalationRecord(Base):
    __tablename__ = "escalation"
    __table_args__ = (Index("ix_escalation_due", "status", "next_due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(Integer, unique=True)
    policy_id: Mapped[str] = mapped_column(String(64))
    policy: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    generation: Mapped[int] = mapped_column(Integer)
    step_index: Mapped[int] = mapped_column(Integer)
    pass_index: Mapped[int] = mapped_column(Integer)
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    stop_reason: Mapped[str | None] = mapped_column(String(32), default=None)
    version: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's declaration
