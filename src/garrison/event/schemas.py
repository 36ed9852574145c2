"""API shapes of the event and its items."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class PhaseOut(BaseModel):
    id: str
    name: str
    starts_at: datetime
    ends_at: datetime


class EventOut(BaseModel):
    id: str
    name: str
    timezone: str
    starts_at: datetime
    ends_at: datetime
    current_phase: str | None
    phases: list[PhaseOut]


class ItemOut(BaseModel):
    id: str
    name: str
    retired_at: datetime | None
    data: dict[str, Any]


class SyncOut(BaseModel):
    added: list[str]
    updated: list[str]
    retired: list[str]
    digest: str
