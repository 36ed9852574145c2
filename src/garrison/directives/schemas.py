"""API shapes of directives."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, Field

from garrison.config.fields import Identifier
from garrison.directives.models import MAX_TEXT_LENGTH, Directive
from garrison.directives.service import ReceiverKind


class ReceiverIn(BaseModel):
    kind: ReceiverKind
    id: Identifier


class DirectiveIn(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_TEXT_LENGTH, description="What is to be done.")
    to: ReceiverIn = Field(description="A person, a post (whoever is on duty) or a unit.")
    deadline: AwareDatetime = Field(description="When it must be done, with a UTC offset.")
    incident_id: int | None = Field(
        default=None, ge=1, le=2**31 - 1, description="The incident it is about, if any."
    )


class CompletionIn(BaseModel):
    note: str = Field(min_length=1, max_length=MAX_TEXT_LENGTH, description="What was done.")


class DirectiveOut(BaseModel):
    id: int
    incident_id: int | None
    text: str
    to_kind: str
    to_id: str
    to_name: str
    receiver_person_id: str | None
    issued_by: str
    deadline: datetime
    status: str
    overdue: bool
    reminded_at: datetime | None
    escalated_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    completed_at: datetime | None
    completed_by: str | None
    completion_note: str | None
    cancelled_at: datetime | None
    created_at: datetime


class DirectivePage(BaseModel):
    items: list[DirectiveOut]
    next_before_id: int | None


def directive_out(directive: Directive, *, to_name: str, now: datetime) -> DirectiveOut:
    open_ = directive.status in {"issued", "acknowledged"}
    return DirectiveOut(
        id=directive.id,
        incident_id=directive.incident_id,
        text=directive.text,
        to_kind=directive.target_kind,
        to_id=directive.target_id,
        to_name=to_name,
        receiver_person_id=directive.receiver_person_id,
        issued_by=directive.issuer_username,
        deadline=directive.deadline,
        status=directive.status,
        overdue=open_ and directive.deadline <= now,
        reminded_at=directive.reminded_at,
        escalated_at=directive.escalated_at,
        acknowledged_at=directive.acknowledged_at,
        acknowledged_by=directive.acknowledged_by,
        completed_at=directive.completed_at,
        completed_by=directive.completed_by,
        completion_note=directive.completion_note,
        cancelled_at=directive.cancelled_at,
        created_at=directive.created_at,
    )
