"""Need-to-know: who may see which incident.

- Leaders and administrators see every incident.
- Observers see public incidents only.
- Everyone else sees public and internal incidents, and a confidential or secret one
  only when listed on it: by username, through a unit they belong to (the person
  with their username in the configuration's organisation), or as its commander
  or assignee.

A hidden incident does not exist for the reader: reading it answers 404, lists
leave it out.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, exists, false, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.auth.permissions import Role
from garrison.auth.principal import Principal
from garrison.event.models import PersonRecord
from garrison.incidents.models import Incident, IncidentAccess
from garrison.incidents.vocabulary import Classification

ACCESS_USER = "user"
ACCESS_UNIT = "unit"
_SEES_EVERYTHING = frozenset({Role.ADMIN, Role.LEADER})
_OPEN_TO_STAFF = (Classification.PUBLIC.value, Classification.INTERNAL.value)


@dataclass(frozen=True, slots=True)
class Viewer:
    """The reader of an incident, with the units the configuration puts them in."""

    user_id: int | None
    username: str
    role: Role
    units: frozenset[str] = frozenset()

    @property
    def sees_everything(self) -> bool:
        return self.role in _SEES_EVERYTHING

    @property
    def public_only(self) -> bool:
        return self.role == Role.OBSERVER


async def units_of(session: AsyncSession, *, username: str) -> frozenset[str]:
    rows = await session.scalars(
        select(PersonRecord.unit_id).where(
            PersonRecord.username == username, PersonRecord.retired_at.is_(None)
        )
    )
    return frozenset(rows.all())


async def viewer_for(session: AsyncSession, principal: Principal) -> Viewer:
    return Viewer(
        user_id=principal.user_id,
        username=principal.username,
        role=principal.role,
        units=await units_of(session, username=principal.username),
    )


def visible_to(viewer: Viewer) -> ColumnElement[bool]:
    """A WHERE clause on ``Incident`` keeping what ``viewer`` may see."""
    if viewer.sees_everything:
        return true()
    if viewer.public_only:
        return Incident.classification == Classification.PUBLIC.value
    listed = exists(
        select(IncidentAccess.id).where(
            IncidentAccess.incident_id == Incident.id,
            or_(
                and_(IncidentAccess.kind == ACCESS_USER, IncidentAccess.ref == viewer.username),
                and_(IncidentAccess.kind == ACCESS_UNIT, IncidentAccess.ref.in_(viewer.units))
                if viewer.units
                else false(),
            ),
        )
    )
    own = (
        or_(Incident.commander_id == viewer.user_id, Incident.assignee_id == viewer.user_id)
        if viewer.user_id is not None
        else false()
    )
    return or_(Incident.classification.in_(_OPEN_TO_STAFF), own, listed)


def can_see(
    viewer: Viewer, incident: Incident, *, users: Collection[str], units: Collection[str]
) -> bool:
    """The same rule as :func:`visible_to`, for one loaded incident and its list."""
    if viewer.sees_everything:
        return True
    classification = Classification(incident.classification)
    if viewer.public_only:
        return classification == Classification.PUBLIC
    if not classification.needs_to_know:
        return True
    if viewer.user_id is not None and viewer.user_id in (
        incident.commander_id,
        incident.assignee_id,
    ):
        return True
    return viewer.username in users or bool(viewer.units & set(units))
