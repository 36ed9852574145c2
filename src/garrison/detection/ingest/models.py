"""Tables of log ingestion: recent raw events (searchable) and file tail offsets."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from garrison.storage.base import Base, UTCDateTime

_ROW_ID = BigInteger().with_variant(Integer(), "sqlite")


class StoredLogEvent(Base):
    """One normalised event kept for ``detection.retention_days``."""

    __tablename__ = "log_event"
    __table_args__ = (
        Index("ix_log_event_source_received", "source", "received_at"),
        Index("ix_log_event_received_at", "received_at"),
        Index("ix_log_event_kind", "kind"),
    )

    id: Mapped[int] = mapped_column(_ROW_ID, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    host: Mapped[str | None] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16))
    parser: Mapped[str] = mapped_column(String(32))
    product: Mapped[str | None] = mapped_column(String(64))
    service: Mapped[str | None] = mapped_column(String(64))
    category: Mapped[str | None] = mapped_column(String(64))
    fields: Mapped[dict[str, Any]] = mapped_column(JSON())
    raw: Mapped[str] = mapped_column(Text())


class LogFileOffset(Base):
    """How far a file source has read, and which file (device, inode) that offset is in."""

    __tablename__ = "log_file_offset"

    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    path: Mapped[str] = mapped_column(Text())
    device: Mapped[int] = mapped_column(BigInteger)
    inode: Mapped[int] = mapped_column(BigInteger)
    offset: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
