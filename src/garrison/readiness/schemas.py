"""Readiness over HTTP: what comes in and goes out."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from garrison.readiness.models import MAX_TEXT_LENGTH, NAME_LENGTH

Strict = ConfigDict(extra="forbid")


class PlanOut(BaseModel):
    plan: dict[str, Any]
    source: str
    stale_edit: bool


class StepOut(BaseModel):
    id: int
    position: int
    title: str
    owner_role: str
    expected_minutes: float
    done_at: datetime | None
    done_by: str | None
    note: str | None


class ChecklistOut(BaseModel):
    id: int
    plan_id: str
    plan_name: str
    attached_at: datetime
    steps: list[StepOut]


class TickIn(BaseModel):
    model_config = Strict
    note: str | None = Field(default=None, max_length=MAX_TEXT_LENGTH)


class TaskIn(BaseModel):
    model_config = Strict
    title: str = Field(min_length=1, max_length=NAME_LENGTH)
    unit_id: str = Field(min_length=1, max_length=64)
    deadline: datetime
    owner_person_id: str | None = Field(default=None, max_length=64)
    description: str = Field(default="", max_length=MAX_TEXT_LENGTH)


class TaskOut(BaseModel):
    id: int
    title: str
    description: str
    unit_id: str
    owner_person_id: str | None
    deadline: datetime
    status: str
    inspection_item_id: int | None
    completed_at: datetime | None
    reminded_at: datetime | None
    overdue_at: datetime | None
    escalated_at: datetime | None


class EvidenceOut(BaseModel):
    id: int
    note: str
    filename: str | None
    size: int
    sha256: str | None
    added_at: datetime
    added_by: str


class UnitReadiness(BaseModel):
    unit_id: str | None
    total: int
    done: int
    percent: float


class ReadinessOut(BaseModel):
    units: list[UnitReadiness]
    overall: UnitReadiness
    event_start: datetime
    countdown_seconds: float


class InspectionIn(BaseModel):
    model_config = Strict
    checklist_id: str = Field(min_length=1, max_length=64)
    unit_id: str = Field(min_length=1, max_length=64)


class ItemIn(BaseModel):
    model_config = Strict
    passed: bool
    evidence: str = Field(default="", max_length=MAX_TEXT_LENGTH)


class ItemOut(BaseModel):
    id: int
    position: int
    text: str
    result: str
    evidence: str
    checked_at: datetime | None
    checked_by: str | None
    task_id: int | None


class InspectionOut(BaseModel):
    id: int
    checklist_id: str
    name: str
    unit_id: str
    inspector: str
    started_at: datetime
    finished_at: datetime | None
    items: list[ItemOut]
