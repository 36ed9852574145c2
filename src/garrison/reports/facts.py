"""The plain facts a report is computed from (loaded by ``data.py``, computed on by
``figures.py``), so that tests can build them by hand and compute figures independently."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class ServiceFacts:
    id: str
    name: str
    criticality: str
    site: str | None


@dataclass(frozen=True, slots=True)
class StateChange:
    at: datetime
    previous: str
    current: str
    in_maintenance: bool = False
    caused_by: str | None = None


@dataclass(frozen=True, slots=True)
class IncidentFacts:
    id: int
    title: str
    severity: str
    category: str
    status: str
    is_drill: bool
    opened_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    services: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DetectionFacts:
    category: str
    source_address: str | None
    occurred_at: datetime
    is_drill: bool
    count: int = 1


@dataclass(frozen=True, slots=True)
class DirectiveFacts:
    id: int
    created_at: datetime
    deadline: datetime
    status: str
    completed_at: datetime | None


@dataclass(frozen=True, slots=True)
class CheckInFacts:
    post: str
    person: str
    due_at: datetime
    checked_in_at: datetime | None
    missed_at: datetime | None


@dataclass(frozen=True, slots=True)
class GapFacts:
    post: str
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class HandoverFacts:
    post: str
    outgoing: str
    incoming: str | None
    written_at: datetime
    remarks: str
    acknowledged: bool


@dataclass(frozen=True, slots=True)
class DrillFacts:
    name: str
    started_at: datetime
    overall: float | None
    per_post: dict[str, float]


@dataclass(frozen=True, slots=True)
class TaskFacts:
    unit: str
    status: str
    completed_at: datetime | None


@dataclass(frozen=True, slots=True)
class ReportFacts:
    kind: str  # "shift", "daily" or "final"
    event_name: str
    timezone: str
    since: datetime
    until: datetime
    event_start: datetime
    services: list[ServiceFacts] = field(default_factory=list)
    changes: dict[str, list[StateChange]] = field(default_factory=dict)
    incidents: list[IncidentFacts] = field(default_factory=list)
    detections: list[DetectionFacts] = field(default_factory=list)
    directives: list[DirectiveFacts] = field(default_factory=list)
    check_ins: list[CheckInFacts] = field(default_factory=list)
    gaps: list[GapFacts] = field(default_factory=list)
    handovers: list[HandoverFacts] = field(default_factory=list)
    drills: list[DrillFacts] = field(default_factory=list)
    tasks: list[TaskFacts] = field(default_factory=list)
    units: list[str] = field(default_factory=list)
