"""API shapes of escalation policies and of an incident's escalation."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from garrison.config.escalation import EscalationPolicy, EscalationRule


class PoliciesOut(BaseModel):
    default_policy: str | None
    policies: list[EscalationPolicy]
    rules: list[EscalationRule]


class EscalationOut(BaseModel):
    incident_id: int
    policy_id: str | None
    policy: dict[str, Any] = Field(description="The policy as it was when the incident opened.")
    status: str
    stop_reason: str | None
    round: int = Field(description="The round under way (1-based).")
    next_level: int | None = Field(description="The step that fires next (1-based), if any.")
    next_due_at: datetime | None
    started_at: datetime
    last_fired_at: datetime | None
    stopped_at: datetime | None
    restarts: int


class StopIn(BaseModel):
    reason: str = Field(min_length=1, max_length=500, description="Why paging stops.")
