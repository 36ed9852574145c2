"""The probe engine's tables.

- ``probe_check`` mirrors the configured checks (retired, never deleted).
- ``probe_check_state`` / ``probe_service_state``: the current state, one row each,
  kept by the engine; pausing a check is stored here so a restart keeps it.
- ``probe_result``: every run, kept ``probes.retention_days``.
- ``probe_rollup``: per check, location and minute: counts and latency, kept for good.
- ``probe_state_change``: the history of states (checks and services), which
  availability is computed from.
- ``probe_maintenance``: maintenance windows, from the configuration or the API.
- ``probe_baseline``: approved content baselines; the newest unretired one is in force.
- ``probe_heartbeat``: the hashed heartbeat token and the last beat of push checks.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from garrison.event.models import MirroredItem
from garrison.storage.base import Base, UTCDateTime

ID_LENGTH = 64
STATE_LENGTH = 16
REASON_LENGTH = 500
ACTOR_LENGTH = 200
# SQLite only numbers rows automatically for an INTEGER primary key.
RowId = BigInteger().with_variant(Integer(), "sqlite")


class CheckRecord(MirroredItem):
    __tablename__ = "probe_check"

    type: Mapped[str] = mapped_column(String(STATE_LENGTH))
    service_id: Mapped[str | None] = mapped_column(String(ID_LENGTH), index=True, default=None)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class CheckStateRecord(Base):
    __tablename__ = "probe_check_state"

    check_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    state: Mapped[str] = mapped_column(String(STATE_LENGTH))
    since: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(String(REASON_LENGTH), default="")
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    paused_by: Mapped[str | None] = mapped_column(String(ACTOR_LENGTH), default=None)
    paused_reason: Mapped[str | None] = mapped_column(String(REASON_LENGTH), default=None)
    last_result_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_ok: Mapped[bool | None] = mapped_column(Boolean, default=None)
    last_reason: Mapped[str | None] = mapped_column(String(REASON_LENGTH), default=None)
    last_latency_ms: Mapped[float | None] = mapped_column(Float, default=None)
    last_details: Mapped[dict[str, Any] | None] = mapped_column(
        JSON(none_as_null=True), default=None
    )
    # Content checks: what the page looked like at the last run, to approve as baseline.
    snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), default=None)
    snapshot_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ServiceStateRecord(Base):
    __tablename__ = "probe_service_state"

    service_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    state: Mapped[str] = mapped_column(String(STATE_LENGTH))
    measured: Mapped[str] = mapped_column(String(STATE_LENGTH))
    since: Mapped[datetime] = mapped_column(UTCDateTime())
    caused_by: Mapped[str | None] = mapped_column(String(ID_LENGTH), default=None)
    in_maintenance: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str] = mapped_column(String(REASON_LENGTH), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ResultRecord(Base):
    __tablename__ = "probe_result"
    __table_args__ = (
        Index("ix_probe_result_check_started", "check_id", "started_at"),
        Index("ix_probe_result_started", "started_at"),
    )

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    check_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    location: Mapped[str] = mapped_column(String(ID_LENGTH))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ok: Mapped[bool] = mapped_column(Boolean)
    latency_ms: Mapped[float | None] = mapped_column(Float, default=None)
    reason: Mapped[str] = mapped_column(String(REASON_LENGTH), default="")
    severity: Mapped[str | None] = mapped_column(String(STATE_LENGTH), default=None)
    phases: Mapped[dict[str, Any]] = mapped_column(JSON)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)


class RollupRecord(Base):
    """One minute of one check at one location; ``buckets`` count latencies per bound."""

    __tablename__ = "probe_rollup"

    check_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    location: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    minute: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    failures: Mapped[int] = mapped_column(Integer)
    latency_count: Mapped[int] = mapped_column(Integer)
    latency_sum: Mapped[float] = mapped_column(Float)
    latency_min: Mapped[float | None] = mapped_column(Float, default=None)
    latency_max: Mapped[float | None] = mapped_column(Float, default=None)
    buckets: Mapped[list[int]] = mapped_column(JSON)


class StateChangeRecord(Base):
    __tablename__ = "probe_state_change"
    __table_args__ = (
        Index("ix_probe_state_change_subject", "subject_kind", "subject_id", "at"),
        Index("ix_probe_state_change_at", "at"),
    )

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    subject_kind: Mapped[str] = mapped_column(String(STATE_LENGTH))  # "check" or "service"
    subject_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    previous: Mapped[str] = mapped_column(String(STATE_LENGTH))
    current: Mapped[str] = mapped_column(String(STATE_LENGTH))
    # What the checks say, maintenance aside (a service in MAINTENANCE may be measured DOWN).
    measured: Mapped[str] = mapped_column(String(STATE_LENGTH))
    in_maintenance: Mapped[bool] = mapped_column(Boolean, default=False)
    caused_by: Mapped[str | None] = mapped_column(String(ID_LENGTH), default=None)
    reason: Mapped[str] = mapped_column(String(REASON_LENGTH), default="")
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON)


class MaintenanceRecord(Base):
    __tablename__ = "probe_maintenance"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    source: Mapped[str] = mapped_column(String(STATE_LENGTH))  # "config" or "api"
    services: Mapped[list[str]] = mapped_column(JSON)
    checks: Mapped[list[str]] = mapped_column(JSON)
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    recurrence: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), default=None)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(ACTOR_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class BaselineRecord(Base):
    __tablename__ = "probe_baseline"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    check_id: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    approved_at: Mapped[datetime] = mapped_column(UTCDateTime())
    approved_by: Mapped[str] = mapped_column(String(ACTOR_LENGTH))
    text: Mapped[str] = mapped_column(Text)
    script_origins: Mapped[list[str]] = mapped_column(JSON)
    iframe_origins: Mapped[list[str]] = mapped_column(JSON)
    link_origins: Mapped[list[str]] = mapped_column(JSON)
    # Set when a newer approval replaces it.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class HeartbeatRecord(Base):
    __tablename__ = "probe_heartbeat"

    check_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    # SHA-256 (hex) of the token; the token itself is never stored.
    token_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    token_source: Mapped[str | None] = mapped_column(String(STATE_LENGTH), default=None)
    token_set_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_beat_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
