"""Reading directives: lists by issuer, by receiver, and what each caller may see."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.config import EventConfig, Person
from garrison.directives.models import Directive
from garrison.directives.service import ReceiverKind
from garrison.duty.oncall import who_is_on_duty
from garrison.duty.plan import DutyPlan
from garrison.errors import ValidationFailed
from garrison.i18n import gettext as _

MAX_LIST_LIMIT = 500


@dataclass(frozen=True, slots=True)
class Assignment:
    """Who a person answers for now: themselves, the posts they hold, their unit."""

    person_id: str
    posts: frozenset[str]
    unit: str


def assignment_of(
    person: Person, *, config: EventConfig, plan: DutyPlan, at: datetime
) -> Assignment:
    held = set()
    for post in config.organisation.posts:
        on_duty = who_is_on_duty(plan, post.id, at)
        if on_duty is not None and on_duty.person == person.id:
            held.add(post.id)
    return Assignment(person_id=person.id, posts=frozenset(held), unit=person.unit)


def assigned_to(assignment: Assignment) -> ColumnElement[bool]:
    return or_(
        Directive.receiver_person_id == assignment.person_id,
        and_(
            Directive.target_kind == ReceiverKind.PERSON.value,
            Directive.target_id == assignment.person_id,
        ),
        and_(
            Directive.target_kind == ReceiverKind.POST.value,
            Directive.target_id.in_(sorted(assignment.posts)),
        )
        if assignment.posts
        else false(),
        and_(
            Directive.target_kind == ReceiverKind.UNIT.value,
            Directive.target_id == assignment.unit,
        ),
    )


@dataclass(frozen=True, slots=True)
class Scope:
    """What a caller may see: everything, or what they issued and what they answer for."""

    sees_all: bool
    user_id: int
    assignment: Assignment | None

    def clause(self) -> ColumnElement[bool] | None:
        if self.sees_all:
            return None
        mine = Directive.issuer_user_id == self.user_id
        if self.assignment is None:
            return mine
        return or_(mine, assigned_to(self.assignment))


@dataclass(frozen=True, slots=True)
class DirectiveFilter:
    issued_by_user_id: int | None = None
    assigned: Assignment | None = None
    nobody_assigned: bool = False  # "assigned to me" for a caller who is nobody's receiver
    statuses: Collection[str] = ()
    incident_id: int | None = None


async def list_directives(
    session: AsyncSession,
    *,
    scope: Scope,
    filters: DirectiveFilter,
    limit: int = 100,
    before_id: int | None = None,
) -> list[Directive]:
    """Newest first, within what ``scope`` may see."""
    if not 1 <= limit <= MAX_LIST_LIMIT:
        raise ValidationFailed(_("limit: must be between 1 and %(max)d.") % {"max": MAX_LIST_LIMIT})
    query = select(Directive).order_by(Directive.id.desc()).limit(limit)
    visible = scope.clause()
    if visible is not None:
        query = query.where(visible)
    if filters.issued_by_user_id is not None:
        query = query.where(Directive.issuer_user_id == filters.issued_by_user_id)
    if filters.nobody_assigned:
        query = query.where(false())
    elif filters.assigned is not None:
        query = query.where(assigned_to(filters.assigned))
    if filters.statuses:
        query = query.where(Directive.status.in_(sorted(filters.statuses)))
    if filters.incident_id is not None:
        query = query.where(Directive.incident_id == filters.incident_id)
    if before_id is not None:
        query = query.where(Directive.id < before_id)
    return list((await session.scalars(query)).all())


def can_see(directive: Directive, *, scope: Scope, receiver: bool) -> bool:
    return scope.sees_all or directive.issuer_user_id == scope.user_id or receiver
