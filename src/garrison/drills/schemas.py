"""Drills over HTTP."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class DrillIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    plan_id: str = Field(min_length=1, max_length=64)


class InjectOut(BaseModel):
    position: int
    kind: str
    title: str
    due_at: datetime
    injected_at: datetime | None
    incident_id: int | None
    error: str | None


class DrillOut(BaseModel):
    id: int
    plan_id: str
    name: str
    announced: bool
    notify_leadership: bool
    status: str
    started_at: datetime
    started_by: str
    finished_at: datetime | None
    injects: list[InjectOut]


class InjectScoreOut(BaseModel):
    position: int
    title: str
    post: str | None
    seconds: dict[str, float | None]
    met: dict[str, bool]
    score: float


class DrillResultsOut(BaseModel):
    drill: DrillOut
    injects: list[InjectScoreOut]
    per_post: dict[str, float]
    overall: float | None
