"""What readiness says over the bus: task reminders and escalations (đôn đốc)."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from garrison.bus.events import DomainEvent


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class ReadinessTaskReminder(DomainEvent):
    """A task's deadline is near (``stage`` "due_soon"), past ("overdue") or long past and
    escalated to the unit's leader ("escalated", ``leader_person_id`` set)."""

    topic = "garrison.readiness.task_reminder"

    task_id: int
    title: str
    unit_id: str
    deadline: datetime
    stage: str
    owner_person_id: str | None = None
    leader_person_id: str | None = None


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class RunbookAttached(DomainEvent):
    topic = "garrison.readiness.runbook_attached"

    incident_id: int
    plan_id: str
    checklist_id: int
