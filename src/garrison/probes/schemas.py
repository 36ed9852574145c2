"""API shapes of checks, services, results, history, availability and maintenance."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from garrison.config.checks import Recurrence
from garrison.config.fields import Identifier
from garrison.probes.availability import Availability
from garrison.probes.models import (
    BaselineRecord,
    CheckRecord,
    CheckStateRecord,
    HeartbeatRecord,
    MaintenanceRecord,
    ResultRecord,
    RollupRecord,
    StateChangeRecord,
)
from garrison.probes.rollups import Rollup

MAX_TARGETS = 500


class LastResultOut(BaseModel):
    at: datetime
    ok: bool
    reason: str
    latency_ms: float | None
    details: dict[str, Any] = Field(description="Evidence; a content check keeps its diff here.")


class CheckOut(BaseModel):
    id: str
    name: str
    type: str
    service_id: str | None
    enabled: bool
    interval: float
    timeout: float
    retired_at: datetime | None
    state: str = Field(description="unknown, up, down, flapping or paused.")
    state_since: datetime | None
    state_reason: str
    paused: bool
    paused_by: str | None
    paused_reason: str | None
    last_result: LastResultOut | None

    @classmethod
    def of(cls, check: CheckRecord, state: CheckStateRecord | None) -> CheckOut:
        last = None
        if state is not None and state.last_result_at is not None and state.last_ok is not None:
            last = LastResultOut(
                at=state.last_result_at,
                ok=state.last_ok,
                reason=state.last_reason or "",
                latency_ms=state.last_latency_ms,
                details=state.last_details or {},
            )
        paused = state is not None and state.paused
        return cls(
            id=check.id,
            name=check.name,
            type=check.type,
            service_id=check.service_id,
            enabled=check.enabled,
            interval=float(check.data.get("interval", 0)),
            timeout=float(check.data.get("timeout", 0)),
            retired_at=check.retired_at,
            state="paused" if paused else (state.state if state else "unknown"),
            state_since=state.since if state else None,
            state_reason=state.reason if state else "",
            paused=paused,
            paused_by=state.paused_by if state else None,
            paused_reason=state.paused_reason if state else None,
            last_result=last,
        )


class BaselineOut(BaseModel):
    id: int
    approved_at: datetime
    approved_by: str
    text_chars: int
    script_origins: list[str]
    iframe_origins: list[str]
    link_origins: list[str]

    @classmethod
    def of(cls, baseline: BaselineRecord) -> BaselineOut:
        return cls(
            id=baseline.id,
            approved_at=baseline.approved_at,
            approved_by=baseline.approved_by,
            text_chars=len(baseline.text),
            script_origins=baseline.script_origins,
            iframe_origins=baseline.iframe_origins,
            link_origins=baseline.link_origins,
        )


class HeartbeatOut(BaseModel):
    url_path: str = Field(description="Where the outside job calls; {token} is its secret.")
    token_set: bool
    token_source: str | None
    last_beat_at: datetime | None

    @classmethod
    def of(cls, check_id: str, record: HeartbeatRecord | None) -> HeartbeatOut:
        return cls(
            url_path=f"/api/v1/heartbeat/{check_id}/{{token}}",
            token_set=record is not None and record.token_hash is not None,
            token_source=record.token_source if record else None,
            last_beat_at=record.last_beat_at if record else None,
        )


class CheckDetailOut(CheckOut):
    config: dict[str, Any]
    baseline: BaselineOut | None = None
    snapshot_at: datetime | None = None
    heartbeat: HeartbeatOut | None = None


class ResultOut(BaseModel):
    id: int
    started_at: datetime
    location: str
    ok: bool
    latency_ms: float | None
    reason: str
    severity: str | None
    phases: dict[str, Any]
    details: dict[str, Any]

    @classmethod
    def of(cls, record: ResultRecord) -> ResultOut:
        return cls(
            id=record.id,
            started_at=record.started_at,
            location=record.location,
            ok=record.ok,
            latency_ms=record.latency_ms,
            reason=record.reason,
            severity=record.severity,
            phases=record.phases,
            details=record.details,
        )


class ResultPage(BaseModel):
    results: list[ResultOut]
    next_before_id: int | None = Field(description="Pass as before_id for the next page.")


class StateChangeOut(BaseModel):
    id: int
    at: datetime
    previous: str
    current: str
    measured: str
    in_maintenance: bool
    caused_by: str | None
    reason: str
    evidence: list[dict[str, Any]]

    @classmethod
    def of(cls, record: StateChangeRecord) -> StateChangeOut:
        return cls(
            id=record.id,
            at=record.at,
            previous=record.previous,
            current=record.current,
            measured=record.measured,
            in_maintenance=record.in_maintenance,
            caused_by=record.caused_by,
            reason=record.reason,
            evidence=record.evidence,
        )


class HistoryPage(BaseModel):
    changes: list[StateChangeOut]
    next_before_id: int | None


class RollupOut(BaseModel):
    minute: datetime
    location: str
    count: int
    failures: int
    latency_min_ms: float | None
    latency_avg_ms: float | None
    latency_max_ms: float | None
    latency_p95_ms: float | None = Field(description="Approximated from a fixed histogram.")

    @classmethod
    def of(cls, record: RollupRecord) -> RollupOut:
        rollup = Rollup.of(record)
        return cls(
            minute=record.minute,
            location=record.location,
            count=record.count,
            failures=record.failures,
            latency_min_ms=rollup.latency_min,
            latency_avg_ms=rollup.latency_avg,
            latency_max_ms=rollup.latency_max,
            latency_p95_ms=rollup.latency_p95,
        )


class AvailabilityOut(BaseModel):
    subject_kind: str
    subject_id: str
    since: datetime
    until: datetime
    percent: float | None = Field(description="Available share of the measured time, 0-100.")
    seconds: dict[str, float] = Field(description="Measured seconds per state.")
    maintenance_seconds: float
    unmeasured_seconds: float
    outages: int
    unreachable_causes: dict[str, float] = Field(
        description="Seconds UNREACHABLE, by the root-cause service they are accounted to."
    )
    runs: int | None = None
    failed_runs: int | None = None
    success_percent: float | None = None
    latency_avg_ms: float | None = None
    latency_p95_ms: float | None = None

    @classmethod
    def of(cls, report: Availability) -> AvailabilityOut:
        return cls(
            subject_kind=report.subject_kind,
            subject_id=report.subject_id,
            since=report.since,
            until=report.until,
            percent=report.percent,
            seconds=report.seconds,
            maintenance_seconds=report.maintenance_seconds,
            unmeasured_seconds=report.unmeasured_seconds,
            outages=report.outages,
            unreachable_causes=report.unreachable_causes,
            runs=report.runs,
            failed_runs=report.failed_runs,
            success_percent=report.success_percent,
            latency_avg_ms=report.latency_avg_ms,
            latency_p95_ms=report.latency_p95_ms,
        )


class ServiceStateOut(BaseModel):
    id: str
    name: str
    kind: str
    criticality: str
    state: str
    measured: str
    since: datetime | None
    caused_by: str | None
    in_maintenance: bool
    reason: str
    checks: dict[str, str]


class PauseIn(BaseModel):
    reason: str = Field(default="", max_length=500)


class RunRequestedOut(BaseModel):
    check_id: str
    requested_at: datetime


class HeartbeatTokenOut(BaseModel):
    check_id: str
    token: str = Field(description="Shown once; only its hash is kept.")
    url_path: str


class HeartbeatOkOut(BaseModel):
    status: str = "ok"
    received_at: datetime


class MaintenanceIn(BaseModel):
    """A one-off window (start and end) or a weekly one (recurrence), in the event's zone."""

    services: list[Identifier] = Field(default_factory=list, max_length=MAX_TARGETS)
    checks: list[Identifier] = Field(default_factory=list, max_length=MAX_TARGETS)
    start: datetime | None = Field(
        default=None, description="Without an offset, read in the event's time zone."
    )
    end: datetime | None = None
    recurrence: Recurrence | None = None
    reason: str = Field(default="", max_length=4000)


class MaintenanceOut(BaseModel):
    id: str
    source: str = Field(description="config or api.")
    services: list[str]
    checks: list[str]
    start: datetime | None
    end: datetime | None
    recurrence: dict[str, Any] | None
    reason: str
    created_by: str
    created_at: datetime
    retired_at: datetime | None
    open_now: bool

    @classmethod
    def of(cls, window: MaintenanceRecord, *, open_now: bool) -> MaintenanceOut:
        return cls(
            id=window.id,
            source=window.source,
            services=window.services,
            checks=window.checks,
            start=window.starts_at,
            end=window.ends_at,
            recurrence=window.recurrence,
            reason=window.reason,
            created_by=window.created_by,
            created_at=window.created_at,
            retired_at=window.retired_at,
            open_now=open_now,
        )
