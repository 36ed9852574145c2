"""API shapes of duty: who is on duty, rosters, coverage, overrides, swaps, handovers,
check-ins. Times are UTC in answers; a time sent without an offset is read in the
event's time zone."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from garrison.config.fields import ID_PATTERN
from garrison.duty.checkin import check_in_status
from garrison.duty.models import CheckInRecord, DutyOverrideRecord, DutySwapRecord, HandoverNote
from garrison.duty.oncall import OnDuty

PostId = Annotated[str, StringConstraints(pattern=ID_PATTERN), Field(description="A post id.")]
PersonId = Annotated[str, StringConstraints(pattern=ID_PATTERN), Field(description="A person id.")]
ShortText = Annotated[str, StringConstraints(max_length=1000)]
ItemText = Annotated[str, StringConstraints(min_length=1, max_length=500)]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OnDutyOut(BaseModel):
    post_id: str
    person_id: str
    person_name: str
    start: datetime
    end: datetime
    source: Literal["rotation", "swap", "override"]
    layer: str | None = Field(description="The rotation layer; null for an override.")
    shift_start: datetime
    shift_end: datetime

    @classmethod
    def from_stretch(cls, stretch: OnDuty, names: dict[str, str]) -> OnDutyOut:
        return cls(
            post_id=stretch.post,
            person_id=stretch.person,
            person_name=names.get(stretch.person, stretch.person),
            start=stretch.start,
            end=stretch.end,
            source=stretch.source,
            layer=stretch.layer,
            shift_start=stretch.shift_start,
            shift_end=stretch.shift_end,
        )


class PostDutyOut(BaseModel):
    post_id: str
    name: str
    unit_id: str
    at: datetime
    on_duty: OnDutyOut | None = Field(description="Who holds the post at `at`; null for a gap.")
    next: OnDutyOut | None = Field(description="Who holds it next (within 62 days).")


class RosterDayOut(BaseModel):
    date: date
    assignments: list[OnDutyOut]


class RosterOut(BaseModel):
    post_id: str
    timezone: str
    period: Literal["day", "week"]
    start: datetime
    end: datetime
    days: list[RosterDayOut]


class GapOut(BaseModel):
    post_id: str
    start: datetime
    end: datetime


class DoubleBookingOut(BaseModel):
    person_id: str
    first_post_id: str
    second_post_id: str
    start: datetime
    end: datetime


class PlanProblemOut(BaseModel):
    source: str = Field(description="Where it comes from: a configuration path or a run-time id.")
    message: str


class CoverageOut(BaseModel):
    start: datetime
    end: datetime
    covered: bool = Field(description="True when no post has a gap in the operation window.")
    gaps: list[GapOut]
    double_bookings: list[DoubleBookingOut]
    problems: list[PlanProblemOut]


class OverrideIn(_Input):
    post_id: PostId
    person_id: PersonId
    start: datetime
    end: datetime
    reason: ShortText = ""


class OverrideOut(BaseModel):
    id: int
    post_id: str
    person_id: str
    start: datetime
    end: datetime
    reason: str
    created_at: datetime
    created_by: str
    cancelled_at: datetime | None
    cancelled_by: str | None

    @classmethod
    def from_record(cls, row: DutyOverrideRecord) -> OverrideOut:
        return cls(
            id=row.id,
            post_id=row.post_id,
            person_id=row.person_id,
            start=row.starts_at,
            end=row.ends_at,
            reason=row.reason,
            created_at=row.created_at,
            created_by=row.created_by,
            cancelled_at=row.cancelled_at,
            cancelled_by=row.cancelled_by,
        )


class SwappedShiftIn(_Input):
    person_id: PersonId
    shift_start: datetime = Field(description="Start of the shift this person holds now.")


class SwapIn(_Input):
    post_id: PostId
    layer: Annotated[str, StringConstraints(pattern=ID_PATTERN)] = "base"
    first: SwappedShiftIn
    second: SwappedShiftIn
    reason: ShortText = ""


class SwapOut(BaseModel):
    id: int
    post_id: str
    layer: str
    first_person_id: str
    first_shift_start: datetime
    second_person_id: str
    second_shift_start: datetime
    reason: str
    created_at: datetime
    created_by: str
    cancelled_at: datetime | None
    cancelled_by: str | None

    @classmethod
    def from_record(cls, row: DutySwapRecord) -> SwapOut:
        return cls(
            id=row.id,
            post_id=row.post_id,
            layer=row.layer,
            first_person_id=row.first_person_id,
            first_shift_start=row.first_shift_start,
            second_person_id=row.second_person_id,
            second_shift_start=row.second_shift_start,
            reason=row.reason,
            created_at=row.created_at,
            created_by=row.created_by,
            cancelled_at=row.cancelled_at,
            cancelled_by=row.cancelled_by,
        )


class HandoverIn(_Input):
    post_id: PostId
    remarks: Annotated[str, StringConstraints(max_length=10_000)] = ""
    open_incidents: list[ItemText] = Field(
        default_factory=list, max_length=200, description="Incident ids or short texts."
    )
    pending_directives: list[ItemText] = Field(
        default_factory=list, max_length=200, description="Directive ids or short texts."
    )
    references: list[ItemText] = Field(
        default_factory=list, max_length=100, description="Documents, links, numbers."
    )


class AcknowledgeIn(_Input):
    remarks: Annotated[str, StringConstraints(max_length=4000)] = ""


class HandoverOut(BaseModel):
    id: int
    post_id: str
    outgoing_person_id: str
    incoming_person_id: str | None
    shift_start: datetime
    shift_end: datetime
    remarks: str
    open_incidents: list[str]
    pending_directives: list[str]
    references: list[str]
    written_at: datetime
    written_by: str
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    acknowledgement_remarks: str | None

    @classmethod
    def from_record(cls, note: HandoverNote) -> HandoverOut:
        return cls(
            id=note.id,
            post_id=note.post_id,
            outgoing_person_id=note.outgoing_person_id,
            incoming_person_id=note.incoming_person_id,
            shift_start=note.shift_start,
            shift_end=note.shift_end,
            remarks=note.remarks,
            open_incidents=[str(item) for item in note.open_incidents],
            pending_directives=[str(item) for item in note.pending_directives],
            references=[str(item) for item in note.reference_list],
            written_at=note.written_at,
            written_by=note.written_by,
            acknowledged_at=note.acknowledged_at,
            acknowledged_by=note.acknowledged_by,
            acknowledgement_remarks=note.acknowledgement_remarks,
        )


class HandoverPage(BaseModel):
    notes: list[HandoverOut]
    next_before_id: int | None = Field(description="Pass as before_id for the next page.")


class CheckInIn(_Input):
    post_id: PostId


class CheckInOut(BaseModel):
    id: int
    post_id: str
    person_id: str
    shift_start: datetime
    shift_end: datetime
    due_at: datetime
    checked_in_at: datetime | None
    checked_in_by: str | None
    missed_at: datetime | None
    status: Literal["present", "late", "missed"]

    @classmethod
    def from_record(cls, record: CheckInRecord) -> CheckInOut:
        return cls(
            id=record.id,
            post_id=record.post_id,
            person_id=record.person_id,
            shift_start=record.shift_start,
            shift_end=record.shift_end,
            due_at=record.due_at,
            checked_in_at=record.checked_in_at,
            checked_in_by=record.checked_in_by,
            missed_at=record.missed_at,
            status=check_in_status(record),
        )


class CheckInPage(BaseModel):
    check_ins: list[CheckInOut]
    next_before_id: int | None
