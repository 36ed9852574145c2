"""Stored alerts, and the (account, address) pairs the admin-login detector has seen."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from garrison.storage.base import Base, UTCDateTime


class DetectionAlert(Base):
    """One alert: the first finding of a fingerprint, with its repeats counted."""

    __tablename__ = "detection_alert"
    __table_args__ = (
        Index("ix_detection_alert_fingerprint", "fingerprint", "last_seen_at"),
        Index("ix_detection_alert_rule_id", "rule_id"),
        Index("ix_detection_alert_last_seen_at", "last_seen_at"),
        Index("ix_detection_alert_source_address", "source_address"),
        Index("ix_detection_alert_drill", "drill_run_id", "drill_inject"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # Unique and set before insert: new alerts of a batch are inserted in one statement.
    alert_id: Mapped[str] = mapped_column(String(36), unique=True, insert_sentinel=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    rule_id: Mapped[str] = mapped_column(String(200))
    rule_title: Mapped[str] = mapped_column(String(500))
    rule_level: Mapped[str] = mapped_column(String(16))
    rule_author: Mapped[str] = mapped_column(String(500))
    rule_license: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    source_address: Mapped[str | None] = mapped_column(String(64))
    host: Mapped[str | None] = mapped_column(String(255))
    matched_fields: Mapped[dict[str, Any]] = mapped_column(JSON)
    events: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    count: Mapped[int] = mapped_column(Integer, default=1)
    is_drill: Mapped[bool] = mapped_column(Boolean, default=False)
    # A drill's alert: the drill run and the inject (its position in the plan) it came from.
    drill_run_id: Mapped[int | None] = mapped_column(Integer, default=None)
    drill_inject: Mapped[int | None] = mapped_column(Integer, default=None)


class DetectionKnownAddress(Base):
    """An address an administrator account logged in from (so a restart does not re-alert)."""

    __tablename__ = "detection_known_address"
    __table_args__ = (UniqueConstraint("account", "address", name="uq_detection_known_address"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(64))
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
