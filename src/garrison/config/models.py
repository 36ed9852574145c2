"""The event configuration: what one YAML file (and its includes) describes.

Every model is frozen and forbids unknown keys. Datetimes are aware UTC once
validated; a naive value in the file is read in ``event.timezone``. The
cross-checks between sections (references, duplicates, cycles) live in
:mod:`garrison.config.consistency`; :func:`garrison.config.load_config` runs both.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from pydantic import Field, ValidationInfo, field_validator, model_validator

from garrison.auth.permissions import Role
from garrison.config.checks import Check, MaintenanceWindow, ProbeSettings
from garrison.config.detection import DetectionSettings
from garrison.config.duty import DutySection
from garrison.config.escalation import EscalationSection
from garrison.config.fields import (
    Email,
    Endpoint,
    EventTime,
    Identifier,
    Name,
    Phone,
    Text,
    TimezoneName,
    Username,
    WebhookUrl,
    as_utc,
)
from garrison.config.incidents import IncidentsConfig
from garrison.config.models_base import FrozenModel
from garrison.config.notifications import NotificationsSection
from garrison.config.plans import ReadinessSection, ReportsSection


class PhaseId(StrEnum):
    PREPARATION = "preparation"
    OPERATION = "operation"
    REVIEW = "review"


class ServiceKind(StrEnum):
    LINK = "link"
    WEBSITE = "website"
    DNS = "dns"
    VOICE = "voice"
    VIDEO = "video"
    EMAIL = "email"
    OTHER = "other"


class Criticality(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    NORMAL = "normal"


class RedundancyRole(StrEnum):
    PRIMARY = "primary"
    BACKUP = "backup"


class Phase(FrozenModel):
    """One phase of the event: preparation, operation or review."""

    id: PhaseId
    start: EventTime
    end: EventTime


class EventSection(FrozenModel):
    """The event itself; ``start`` and ``end`` bound the operation window."""

    id: Identifier
    name: Name
    # Declared before the datetimes: their validators read the validated time zone.
    timezone: TimezoneName
    start: EventTime = Field(description="Start of the operation window.")
    end: EventTime = Field(description="End of the operation window.")
    phases: tuple[Phase, ...] = ()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @field_validator("start", "end")
    @classmethod
    def _start_end_to_utc(cls, value: datetime, info: ValidationInfo) -> datetime:
        timezone = info.data.get("timezone")
        if timezone is None:
            return value  # the time zone is invalid: validation fails anyway
        return as_utc(value, ZoneInfo(timezone))

    @field_validator("phases")
    @classmethod
    def _phases_to_utc(cls, value: tuple[Phase, ...], info: ValidationInfo) -> tuple[Phase, ...]:
        # Phases cannot see the event's time zone, so their naive times are placed here.
        timezone = info.data.get("timezone")
        if timezone is None:
            return value
        zone = ZoneInfo(timezone)
        return tuple(
            phase.model_copy(
                update={"start": as_utc(phase.start, zone), "end": as_utc(phase.end, zone)}
            )
            for phase in value
        )


class Unit(FrozenModel):
    id: Identifier
    name: Name
    description: Text = ""
    leader: Identifier | None = Field(default=None, description="Id of the person leading it.")


class Contacts(FrozenModel):
    email: Email | None = None
    phone: Phone | None = None
    webhook: WebhookUrl | None = None


class Person(FrozenModel):
    id: Identifier
    name: Name
    unit: Identifier
    role: Role
    title: Text = ""
    username: Username | None = Field(
        default=None, description="Login name, if the person signs in."
    )
    contacts: Contacts = Contacts()


class Post(FrozenModel):
    """A duty post (vị trí trực), staffed around the clock during the operation."""

    id: Identifier
    name: Name
    unit: Identifier
    site: Identifier | None = None
    description: Text = ""


class Organisation(FrozenModel):
    units: tuple[Unit, ...] = ()
    people: tuple[Person, ...] = ()
    posts: tuple[Post, ...] = ()


class Site(FrozenModel):
    id: Identifier
    name: Name
    address: Text = ""
    description: Text = ""


class Redundancy(FrozenModel):
    group: Identifier = Field(description="Services in one group back each other up.")
    role: RedundancyRole


class Service(FrozenModel):
    id: Identifier
    name: Name
    kind: ServiceKind
    criticality: Criticality
    unit: Identifier = Field(description="Id of the unit that operates it.")
    site: Identifier | None = None
    redundancy: Redundancy | None = None
    depends_on: tuple[Identifier, ...] = Field(default=(), description="Ids of services it needs.")
    endpoints: tuple[Endpoint, ...] = ()
    description: Text = ""


class EventConfig(FrozenModel):
    """A critical event described as code (``include`` is resolved by the loader)."""

    event: EventSection
    organisation: Organisation = Organisation()
    sites: tuple[Site, ...] = ()
    services: tuple[Service, ...] = ()
    checks: tuple[Check, ...] = ()
    maintenance: tuple[MaintenanceWindow, ...] = ()
    probes: ProbeSettings = ProbeSettings()
    incidents: IncidentsConfig = IncidentsConfig()
    duty: DutySection = DutySection()
    detection: DetectionSettings = DetectionSettings()
    escalation: EscalationSection = EscalationSection()
    notifications: NotificationsSection = NotificationsSection()
    readiness: ReadinessSection = ReadinessSection()
    reports: ReportsSection = ReportsSection()

    @model_validator(mode="after")
    def _maintenance_in_event_time(self) -> EventConfig:
        # Sections cannot see the event's time zone: their naive times are placed here.
        zone = self.event.zone
        windows = tuple(
            window.model_copy(
                update={
                    "start": as_utc(window.start, zone) if window.start else None,
                    "end": as_utc(window.end, zone) if window.end else None,
                }
            )
            for window in self.maintenance
        )
        return self.model_copy(update={"maintenance": windows})
