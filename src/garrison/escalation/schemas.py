"""API shapes of escalation policies and of an incident's escalation."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

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
    version: int = Field(
        description="Changes whenever the escalation moves; send it back as `expected_version`."
    )


class StopIn(BaseModel):
    reason: str = Field(min_length=1, max_length=500, description="Why paging stops.")


class EscalateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(
        default=None, max_length=500, description="Why, on the timeline and in the audit log."
    )
    expected_version: int | None = Field(
        default=None,
        ge=0,
        le=2**31 - 1,
        description=(
            "The `version` of the escalation you looked at: when it has moved on since"
            " (a step fired, somebody escalated), nothing is sent and the answer is 409."
            " Makes a retried or doubled request safe."
        ),
    )


class EscalatedOut(BaseModel):
    level: int = Field(description="The step paged now (1-based).")
    round: int
    notified: list[str] = Field(description="The people paged, by name.")
    unreached: list[str] = Field(description="Targets that found nobody.")
    again: bool = Field(description="Nothing left to climb: the last step was paged again.")
    timer_running: bool = Field(
        description="Whether the escalation goes on climbing by itself after this step."
    )
    escalation: EscalationOut
