"""Request and response bodies of the incident API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from garrison.incidents.changes import KEEP, IncidentChanges
from garrison.incidents.models import (
    TITLE_LENGTH,
    Alert,
    Attachment,
    Incident,
    TimelineEntry,
)
from garrison.incidents.service import AccessList, Timings
from garrison.incidents.timeline import MAX_TEXT_LENGTH, describe_entry
from garrison.incidents.vocabulary import (
    CATEGORY_LABELS,
    CLASSIFICATION_LABELS,
    SEVERITY_LABELS,
    STATUS_LABELS,
    Category,
    Classification,
    IncidentStatus,
    Severity,
)

IDENTIFIER = r"^[a-z0-9][a-z0-9_.-]{0,63}$"
USERNAME = r"^[a-z0-9][a-z0-9_.@-]{0,63}$"
MAX_REFS = 200
Ref = Annotated[str, StringConstraints(pattern=IDENTIFIER)]
UsernameRef = Annotated[str, StringConstraints(pattern=USERNAME)]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AccessIn(_Input):
    users: list[UsernameRef] = Field(default_factory=list, max_length=MAX_REFS)
    units: list[Ref] = Field(default_factory=list, max_length=MAX_REFS)

    def to_access(self) -> AccessList:
        return AccessList(users=tuple(self.users), units=tuple(self.units))


class IncidentCreateIn(_Input):
    title: str = Field(min_length=1, max_length=TITLE_LENGTH)
    severity: Severity = Severity.SEV3
    category: Category = Category.OTHER
    classification: Classification | None = None
    description: str | None = Field(default=None, max_length=MAX_TEXT_LENGTH)
    services: list[Ref] = Field(default_factory=list, max_length=MAX_REFS)
    sites: list[Ref] = Field(default_factory=list, max_length=MAX_REFS)
    access: AccessIn = Field(default_factory=AccessIn)
    is_drill: bool = False


class IncidentUpdateIn(_Input):
    """Fields left out stay as they are; ``commander``/``assignee`` null clears them."""

    title: str | None = Field(default=None, min_length=1, max_length=TITLE_LENGTH)
    severity: Severity | None = None
    category: Category | None = None
    classification: Classification | None = None
    commander: UsernameRef | None = None
    assignee: UsernameRef | None = None
    services: list[Ref] | None = Field(default=None, max_length=MAX_REFS)
    sites: list[Ref] | None = Field(default=None, max_length=MAX_REFS)
    access: AccessIn | None = None
    reason: str | None = Field(default=None, max_length=MAX_TEXT_LENGTH)

    def to_changes(self) -> IncidentChanges:
        given = self.model_fields_set

        def pick(name: str) -> Any:
            value = getattr(self, name)
            return value if name in given and value is not None else KEEP

        return IncidentChanges(
            title=pick("title"),
            severity=pick("severity"),
            category=pick("category"),
            classification=pick("classification"),
            commander=self.commander if "commander" in given else KEEP,
            assignee=self.assignee if "assignee" in given else KEEP,
            services=pick("services"),
            sites=pick("sites"),
            access=self.access.to_access() if self.access is not None else KEEP,
            reason=self.reason,
        )


class NoteIn(_Input):
    text: str = Field(min_length=1, max_length=MAX_TEXT_LENGTH)


class TransitionIn(_Input):
    note: str | None = Field(default=None, max_length=MAX_TEXT_LENGTH)


class ResolveIn(TransitionIn):
    resolution_summary: str | None = Field(default=None, max_length=MAX_TEXT_LENGTH)
    root_cause: str | None = Field(default=None, max_length=MAX_TEXT_LENGTH)


class CloseIn(ResolveIn):
    pass


class ReopenIn(_Input):
    to: Literal["triggered", "acknowledged"] = "triggered"
    reason: str = Field(min_length=1, max_length=MAX_TEXT_LENGTH)


class MergeIn(_Input):
    source_incident_id: int = Field(ge=1)


class LinkAlertsIn(_Input):
    alert_ids: list[int] = Field(min_length=1, max_length=500)


class Label(BaseModel):
    value: str
    label: str


class TimingsOut(BaseModel):
    seconds_to_acknowledge: float | None
    seconds_to_mitigate: float | None
    seconds_to_resolve: float | None

    @classmethod
    def of(cls, found: Timings) -> TimingsOut:
        return cls(
            seconds_to_acknowledge=found.seconds_to_acknowledge,
            seconds_to_mitigate=found.seconds_to_mitigate,
            seconds_to_resolve=found.seconds_to_resolve,
        )


class AccessOut(BaseModel):
    users: list[str]
    units: list[str]


class IncidentOut(BaseModel):
    id: int
    reference: str
    title: str
    severity: Label
    category: Label
    status: Label
    classification: Label
    is_drill: bool
    is_storm: bool
    services: list[str]
    sites: list[str]
    commander: str | None
    assignee: str | None
    access: AccessOut
    alerts: int
    firing_alerts: int
    resolution_summary: str | None
    root_cause: str | None
    merged_into: int | None
    reopen_count: int
    opened_at: datetime
    opened_by: str
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    mitigated_at: datetime | None
    mitigated_by: str | None
    resolved_at: datetime | None
    resolved_by: str | None
    closed_at: datetime | None
    closed_by: str | None
    updated_at: datetime
    timings: TimingsOut


def severity_label(value: str) -> Label:
    return Label(value=value, label=str(SEVERITY_LABELS[Severity(value)]))


def category_label(value: str) -> Label:
    return Label(value=value, label=str(CATEGORY_LABELS[Category(value)]))


def status_label(value: str) -> Label:
    return Label(value=value, label=str(STATUS_LABELS[IncidentStatus(value)]))


def classification_label(value: str) -> Label:
    return Label(value=value, label=str(CLASSIFICATION_LABELS[Classification(value)]))


def incident_out(
    incident: Incident,
    *,
    names: dict[int, str],
    access: AccessList,
    alerts: tuple[int, int],
    timings: Timings,
) -> IncidentOut:
    """The API view of an incident; ``names`` maps user ids to usernames."""
    return IncidentOut(
        id=incident.id,
        reference=f"INC-{incident.id}",
        title=incident.title,
        severity=severity_label(incident.severity),
        category=category_label(incident.category),
        status=status_label(incident.status),
        classification=classification_label(incident.classification),
        is_drill=incident.is_drill,
        is_storm=incident.is_storm,
        services=list(incident.services),
        sites=list(incident.sites),
        commander=names.get(incident.commander_id) if incident.commander_id else None,
        assignee=names.get(incident.assignee_id) if incident.assignee_id else None,
        access=AccessOut(users=list(access.users), units=list(access.units)),
        alerts=alerts[0],
        firing_alerts=alerts[1],
        resolution_summary=incident.resolution_summary,
        root_cause=incident.root_cause,
        merged_into=incident.merged_into_id,
        reopen_count=incident.reopen_count,
        opened_at=incident.opened_at,
        opened_by=incident.opened_by,
        acknowledged_at=incident.acknowledged_at,
        acknowledged_by=incident.acknowledged_by,
        mitigated_at=incident.mitigated_at,
        mitigated_by=incident.mitigated_by,
        resolved_at=incident.resolved_at,
        resolved_by=incident.resolved_by,
        closed_at=incident.closed_at,
        closed_by=incident.closed_by,
        updated_at=incident.updated_at,
        timings=TimingsOut.of(timings),
    )


class IncidentPage(BaseModel):
    incidents: list[IncidentOut]
    # Pass as ``before_id`` for the next (older) page; null on the last page.
    next_before_id: int | None


class AlertOut(BaseModel):
    id: int
    source: str
    source_kind: str
    dedup_key: str
    status: str
    summary: str
    severity: Label
    category: Label
    service_id: str | None
    site_id: str | None
    pages: bool
    is_drill: bool
    group_keys: list[str]
    first_seen_at: datetime
    last_seen_at: datetime
    resolved_at: datetime | None
    signal_count: int
    incident_id: int | None
    details: dict[str, Any]

    @classmethod
    def of(cls, alert: Alert) -> AlertOut:
        return cls(
            id=alert.id,
            source=alert.source,
            source_kind=alert.source_kind,
            dedup_key=alert.dedup_key,
            status=alert.status,
            summary=alert.summary,
            severity=severity_label(alert.severity),
            category=category_label(alert.category),
            service_id=alert.service_id,
            site_id=alert.site_id,
            pages=alert.pages,
            is_drill=alert.is_drill,
            group_keys=list(alert.group_keys),
            first_seen_at=alert.first_seen_at,
            last_seen_at=alert.last_seen_at,
            resolved_at=alert.resolved_at,
            signal_count=alert.signal_count,
            incident_id=alert.incident_id,
            details=alert.details,
        )


class ActorOut(BaseModel):
    kind: str
    id: str | None
    name: str


class TimelineEntryOut(BaseModel):
    id: int
    at: datetime
    kind: str
    actor: ActorOut
    description: str
    text: str | None
    data: dict[str, Any]

    @classmethod
    def of(cls, entry: TimelineEntry) -> TimelineEntryOut:
        return cls(
            id=entry.id,
            at=entry.at,
            kind=entry.kind,
            actor=ActorOut(kind=entry.actor_kind, id=entry.actor_id, name=entry.actor_name),
            description=describe_entry(entry),
            text=entry.text,
            data=entry.data,
        )


class TimelinePage(BaseModel):
    entries: list[TimelineEntryOut]
    # Pass as ``after_id`` for the next page; null when there is no more.
    next_after_id: int | None


class AttachmentOut(BaseModel):
    id: int
    incident_id: int
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    uploaded_at: datetime
    uploaded_by: str

    @classmethod
    def of(cls, attachment: Attachment) -> AttachmentOut:
        return cls(
            id=attachment.id,
            incident_id=attachment.incident_id,
            filename=attachment.filename,
            content_type=attachment.content_type,
            size_bytes=attachment.size_bytes,
            sha256=attachment.sha256,
            uploaded_at=attachment.uploaded_at,
            uploaded_by=attachment.uploaded_by,
        )


class StatisticsOut(BaseModel):
    incidents: int
    drills_included: bool
    by_severity: dict[str, int]
    by_status: dict[str, int]
    mean_seconds_to_acknowledge: float | None
    mean_seconds_to_mitigate: float | None
    mean_seconds_to_resolve: float | None
    median_seconds_to_acknowledge: float | None
    median_seconds_to_resolve: float | None
