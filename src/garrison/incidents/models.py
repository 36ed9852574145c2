"""Tables of the incident domain.

- ``incident_signal``: every signal received, whatever became of it (nothing is discarded).
- ``incident_alert``: one per deduplication key while it fires; ``open_key`` equals the
  key while firing and is NULL once resolved, so the unique (source, open_key) pair
  allows one firing alert per key on every backend.
- ``incident``: the incident; ``version`` guards against lost updates.
- ``incident_group_key``: the grouping keys of an incident (``root:uplink-a``…).
- ``incident_access``: the need-to-know list (users by username, units by id).
- ``incident_timeline``: append-only (database triggers refuse UPDATE and DELETE).
- ``incident_attachment``: files kept under the data directory.
- ``incident_integration``: outside systems and the SHA-256 of their keys.
- ``incident_policy``: the one-row incidents configuration; ingestion updates it first,
  which serialises ingestion (SQLite's write lock, PostgreSQL's row lock).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from garrison.storage.base import Base, UTCDateTime

POLICY_ID = 1
ID_LENGTH = 64
SOURCE_LENGTH = 80
DEDUP_KEY_LENGTH = 255
SUMMARY_LENGTH = 1024
TITLE_LENGTH = 300
ACTOR_NAME_LENGTH = 200
GROUP_KEY_LENGTH = 300
FILENAME_LENGTH = 200


class Integration(Base):
    __tablename__ = "incident_integration"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_prefix: Mapped[str] = mapped_column(String(16))
    default_severity: Mapped[str] = mapped_column(String(8))
    default_category: Mapped[str] = mapped_column(String(32))
    rate_limit_per_minute: Mapped[int] = mapped_column(Integer)
    managed_by: Mapped[str] = mapped_column(String(16))  # "config" or "api"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    @property
    def source(self) -> str:
        return f"integration:{self.id}"


class IncidentPolicyRecord(Base):
    __tablename__ = "incident_policy"
    __table_args__ = (CheckConstraint(f"id = {POLICY_ID}", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    digest: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    signal_count: Mapped[int] = mapped_column(BigInteger)


class Incident(Base):
    __tablename__ = "incident"
    __table_args__ = (
        Index("ix_incident_status", "status"),
        Index("ix_incident_opened_at", "opened_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(TITLE_LENGTH))
    severity: Mapped[str] = mapped_column(String(8))
    category: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    classification: Mapped[str] = mapped_column(String(16))
    is_drill: Mapped[bool] = mapped_column(Boolean)
    is_storm: Mapped[bool] = mapped_column(Boolean)
    services: Mapped[list[str]] = mapped_column(JSON)
    sites: Mapped[list[str]] = mapped_column(JSON)
    commander_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), default=None)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), default=None)
    resolution_summary: Mapped[str | None] = mapped_column(Text, default=None)
    root_cause: Mapped[str | None] = mapped_column(Text, default=None)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id"), default=None)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    opened_by: Mapped[str] = mapped_column(String(ACTOR_NAME_LENGTH))
    # First acknowledgement and mitigation (kept across reopening, for the timings);
    # resolution and closing are cleared when the incident is reopened.
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    acknowledged_by: Mapped[str | None] = mapped_column(String(ACTOR_NAME_LENGTH), default=None)
    mitigated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    mitigated_by: Mapped[str | None] = mapped_column(String(ACTOR_NAME_LENGTH), default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    resolved_by: Mapped[str | None] = mapped_column(String(ACTOR_NAME_LENGTH), default=None)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    closed_by: Mapped[str | None] = mapped_column(String(ACTOR_NAME_LENGTH), default=None)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's declaration


class Alert(Base):
    __tablename__ = "incident_alert"
    __table_args__ = (UniqueConstraint("source", "open_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(SOURCE_LENGTH))
    source_kind: Mapped[str] = mapped_column(String(16))
    dedup_key: Mapped[str] = mapped_column(String(DEDUP_KEY_LENGTH))
    open_key: Mapped[str | None] = mapped_column(String(DEDUP_KEY_LENGTH), default=None)
    status: Mapped[str] = mapped_column(String(16))
    summary: Mapped[str] = mapped_column(String(SUMMARY_LENGTH))
    severity: Mapped[str] = mapped_column(String(8))
    category: Mapped[str] = mapped_column(String(32))
    service_id: Mapped[str | None] = mapped_column(String(ID_LENGTH), default=None)
    site_id: Mapped[str | None] = mapped_column(String(ID_LENGTH), default=None)
    pages: Mapped[bool] = mapped_column(Boolean)
    is_drill: Mapped[bool] = mapped_column(Boolean)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    group_keys: Mapped[list[str]] = mapped_column(JSON)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    signal_count: Mapped[int] = mapped_column(Integer)
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("incident.id"), index=True, default=None
    )


class SignalRecord(Base):
    __tablename__ = "incident_signal"
    __table_args__ = (Index("ix_incident_signal_source_at", "source", "received_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    source: Mapped[str] = mapped_column(String(SOURCE_LENGTH))
    source_kind: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(16))
    dedup_key: Mapped[str] = mapped_column(String(DEDUP_KEY_LENGTH))
    summary: Mapped[str] = mapped_column(String(SUMMARY_LENGTH))
    severity: Mapped[str | None] = mapped_column(String(8), default=None)
    is_drill: Mapped[bool] = mapped_column(Boolean)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    outcome: Mapped[str] = mapped_column(String(32))
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("incident_alert.id"), default=None)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id"), default=None)


class IncidentGroupKey(Base):
    __tablename__ = "incident_group_key"
    __table_args__ = (
        UniqueConstraint("incident_id", "key"),
        Index("ix_incident_group_key_key", "key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"))
    key: Mapped[str] = mapped_column(String(GROUP_KEY_LENGTH))
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())


class IncidentAccess(Base):
    __tablename__ = "incident_access"
    __table_args__ = (UniqueConstraint("incident_id", "kind", "ref"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # "user" (a username) or "unit" (a unit id)
    ref: Mapped[str] = mapped_column(String(ID_LENGTH))


class TimelineEntry(Base):
    __tablename__ = "incident_timeline"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(32))
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str | None] = mapped_column(String(ID_LENGTH), default=None)
    actor_name: Mapped[str] = mapped_column(String(ACTOR_NAME_LENGTH))
    text: Mapped[str | None] = mapped_column(Text, default=None)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class Attachment(Base):
    __tablename__ = "incident_attachment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), index=True)
    filename: Mapped[str] = mapped_column(String(FILENAME_LENGTH))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    stored_name: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    uploaded_by: Mapped[str] = mapped_column(String(ACTOR_NAME_LENGTH))
