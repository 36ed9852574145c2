"""Directives (chỉ đạo): a leader's instruction with a deadline, followed to completion.

The receiver is a person, a post (whoever is on duty there when it is issued, and
whoever holds the post later) or a unit (its leader is told; any member may
answer). Overdue directives are reminded once, then escalated to the issuer once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from garrison.storage.base import Base, UTCDateTime

ID_LENGTH = 64
NAME_LENGTH = 200
MAX_TEXT_LENGTH = 4000


class Directive(Base):
    __tablename__ = "directive"
    __table_args__ = (
        Index("ix_directive_status_deadline", "status", "deadline"),
        Index("ix_directive_incident_id", "incident_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int | None] = mapped_column(Integer, default=None)
    text: Mapped[str] = mapped_column(Text)
    target_kind: Mapped[str] = mapped_column(String(8))  # "person", "post" or "unit"
    target_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    receiver_person_id: Mapped[str | None] = mapped_column(String(ID_LENGTH), default=None)
    issuer_user_id: Mapped[int] = mapped_column(Integer, index=True)
    issuer_username: Mapped[str] = mapped_column(String(NAME_LENGTH))
    issuer_person_id: Mapped[str | None] = mapped_column(String(ID_LENGTH), default=None)
    deadline: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16))
    overdue_stage: Mapped[int] = mapped_column(Integer, default=0)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    acknowledged_by: Mapped[str | None] = mapped_column(String(NAME_LENGTH), default=None)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    completed_by: Mapped[str | None] = mapped_column(String(NAME_LENGTH), default=None)
    completion_note: Mapped[str | None] = mapped_column(Text, default=None)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    cancelled_by: Mapped[str | None] = mapped_column(String(NAME_LENGTH), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's declaration
