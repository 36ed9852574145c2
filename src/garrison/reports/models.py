"""Tables of reports: the shift reports written at handover (figures and files kept, so that
what was handed over and emailed can be downloaded as it was)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from garrison.storage.base import Base, UTCDateTime

ID_LENGTH = 64


class ShiftReport(Base):
    """One stretch on duty at a post, reported once: at its handover note, or at its end
    (plus the handover grace) when nobody wrote one."""

    __tablename__ = "report_shift"
    __table_args__ = (
        UniqueConstraint("post_id", "person_id", "shift_start", name="uq_report_shift_stretch"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    post_id: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    person_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    shift_start: Mapped[datetime] = mapped_column(UTCDateTime())
    shift_end: Mapped[datetime] = mapped_column(UTCDateTime())
    handover_id: Mapped[int | None] = mapped_column(Integer, unique=True, default=None)
    since: Mapped[datetime] = mapped_column(UTCDateTime())
    until: Mapped[datetime] = mapped_column(UTCDateTime())
    language: Mapped[str] = mapped_column(String(8))
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)
    html: Mapped[bytes] = mapped_column(LargeBinary)
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    generated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Email to reports.recipients: started (before sending), then its outcome.
    delivery_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    sent_to: Mapped[list[str]] = mapped_column(JSON, default=list)
    delivery_error: Mapped[str | None] = mapped_column(Text, default=None)
