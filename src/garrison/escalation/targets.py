"""Who a step reaches, decided when the step fires.

The policy is frozen when the incident opens; the people are found at firing
time: whoever is on duty at a post then (``garrison.duty``), the named person,
every person of a unit with a role, the incident's commander (their account's
person), a unit's leader. A target that reaches nobody is reported, not an error.

Drills stay off leadership channels: for a drill incident, a unit's leader and every
person whose role is ``leader`` are withheld (listed, not notified) unless the drill's
plan says ``notify_leadership`` (carried in its alerts' ``details.drill``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.auth.models import User
from garrison.auth.permissions import Role
from garrison.config import EventConfig
from garrison.config.escalation import (
    CommanderTarget,
    EscalationStep,
    EscalationTarget,
    OnDutyTarget,
    PersonTarget,
    RoleTarget,
    UnitLeaderTarget,
)
from garrison.duty.oncall import who_is_on_duty
from garrison.duty.plan import DutyPlan
from garrison.duty.service import load_plan
from garrison.incidents.models import Alert, Incident


@dataclass(slots=True)
class Reached:
    """The people of one step, in order, the targets that found nobody, and the leaders a
    drill did not reach (``withheld``)."""

    people: list[str] = field(default_factory=list)
    unreached: list[str] = field(default_factory=list)
    withheld: list[str] = field(default_factory=list)

    def add(self, person_id: str) -> None:
        if person_id not in self.people:
            self.people.append(person_id)


def describe_target(target: EscalationTarget) -> str:
    """A short, language-neutral name of a target for the timeline and the API."""
    if isinstance(target, OnDutyTarget):
        return f"on_duty:{target.post}"
    if isinstance(target, PersonTarget):
        return f"person:{target.person}"
    if isinstance(target, RoleTarget):
        return f"role:{target.role.value}@{target.unit}"
    if isinstance(target, CommanderTarget):
        return "commander"
    return f"unit_leader:{target.unit or 'service'}"


class TargetResolver:
    """Finds the people of targets for one incident at one moment (the duty plan read once)."""

    def __init__(
        self, session: AsyncSession, *, config: EventConfig, incident: Incident, at: datetime
    ) -> None:
        self.session = session
        self.config = config
        self.incident = incident
        self.at = at
        self._plan: DutyPlan | None = None
        self._leadership_allowed: bool | None = None

    async def step(self, step: EscalationStep) -> Reached:
        reached = Reached()
        for target in step.targets:
            if isinstance(target, UnitLeaderTarget) and not await self.leadership_allowed():
                reached.withheld.append(describe_target(target))
                continue
            found = await self.target(target)
            if found and not await self.leadership_allowed():
                leaders = self._leader_people()
                reached.withheld.extend(f"person:{p}" for p in found if p in leaders)
                found = [p for p in found if p not in leaders]
                if not found:
                    continue
            for person_id in found:
                reached.add(person_id)
            if not found:
                reached.unreached.append(describe_target(target))
        return reached

    async def leadership_allowed(self) -> bool:
        """Whether this incident may reach leaders: always, unless it is a drill whose plan
        did not ask for it."""
        if not self.incident.is_drill:
            return True
        if self._leadership_allowed is None:
            query = select(Alert.details).where(Alert.incident_id == self.incident.id)
            details = (await self.session.scalars(query)).all()
            self._leadership_allowed = any(
                isinstance(drill := (item or {}).get("drill"), dict)
                and drill.get("notify_leadership") is True
                for item in details
            )
        return self._leadership_allowed

    def _leader_people(self) -> set[str]:
        return {p.id for p in self.config.organisation.people if p.role == Role.LEADER}

    async def target(self, target: EscalationTarget) -> list[str]:
        people = {person.id: person for person in self.config.organisation.people}
        if isinstance(target, OnDutyTarget):
            if self._plan is None:
                self._plan = await load_plan(self.session, config=self.config)
            on_duty = who_is_on_duty(self._plan, target.post, self.at)
            return [on_duty.person] if on_duty is not None else []
        if isinstance(target, PersonTarget):
            return [target.person] if target.person in people else []
        if isinstance(target, RoleTarget):
            return [
                person.id
                for person in self.config.organisation.people
                if person.unit == target.unit and person.role == target.role
            ]
        if isinstance(target, CommanderTarget):
            return await self._commander()
        return self._leaders(target)

    async def _commander(self) -> list[str]:
        if self.incident.commander_id is None:
            return []
        username = await self.session.scalar(
            select(User.username).where(User.id == self.incident.commander_id)
        )
        for person in self.config.organisation.people:
            if username is not None and person.username == username:
                return [person.id]
        return []

    def _leaders(self, target: UnitLeaderTarget) -> list[str]:
        if target.unit is not None:
            units = [target.unit]
        else:
            services = set(self.incident.services)
            units = sorted({s.unit for s in self.config.services if s.id in services})
        leaders = {unit.id: unit.leader for unit in self.config.organisation.units}
        return [leader for unit in units if (leader := leaders.get(unit)) is not None]
