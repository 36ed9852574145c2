"""What the incident domain tells the rest of Garrison (escalation, notifications), over the bus.

Events are published after the change is committed, so a subscriber that reads
the incident finds it. Values are the string forms of the vocabulary enums.
"""

from __future__ import annotations

import dataclasses

from garrison.bus.events import DomainEvent


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class IncidentOpened(DomainEvent):
    topic = "garrison.incidents.opened"

    incident_id: int
    title: str
    severity: str
    category: str
    classification: str
    is_drill: bool
    is_storm: bool = False
    services: tuple[str, ...] = ()
    sites: tuple[str, ...] = ()
    opened_by: str = ""


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class IncidentStateChanged(DomainEvent):
    topic = "garrison.incidents.state_changed"

    incident_id: int
    previous: str  # an IncidentStatus value
    current: str  # an IncidentStatus value
    severity: str
    is_drill: bool
    actor_kind: str  # "user", "system" or "cli"
    actor_name: str


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class IncidentAcknowledged(DomainEvent):
    """Someone took the incident: escalation stops paging the next level."""

    topic = "garrison.incidents.acknowledged"

    incident_id: int
    severity: str
    is_drill: bool
    actor_kind: str
    actor_id: str | None
    actor_name: str
    seconds_to_acknowledge: float


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class IncidentSeverityChanged(DomainEvent):
    topic = "garrison.incidents.severity_changed"

    incident_id: int
    previous: str  # a Severity value
    current: str
    is_drill: bool
    actor_name: str


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class IncidentAssigned(DomainEvent):
    topic = "garrison.incidents.assigned"

    incident_id: int
    role: str  # "assignee" or "commander"
    username: str | None  # None: the role was cleared
    severity: str
    is_drill: bool
    actor_name: str
