"""Every kind of target: on duty at a post (garrison.duty, with run-time overrides), a named
person, a role in a unit, the incident's commander, a unit's leader."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from garrison.auth.permissions import Role
from garrison.config.escalation import (
    CommanderTarget,
    EscalationStep,
    OnDutyTarget,
    PersonTarget,
    RoleTarget,
    UnitLeaderTarget,
)
from garrison.duty.service import add_override
from garrison.escalation.targets import TargetResolver
from garrison.incidents.models import Incident
from garrison.runtime.context import AppContext
from tests.escalation.factories import TEST_ACTOR, loader, open_test_incident


async def _people(
    context: AppContext, config_path: Path, incident_id: int, *targets: object, hours: float = 0
) -> tuple[list[str], list[str]]:
    step = EscalationStep.model_validate({"targets": targets, "wait_minutes": 1})
    async with context.sessions() as session:
        incident = await session.get_one(Incident, incident_id)
        resolver = TargetResolver(
            session,
            config=loader(config_path),
            incident=incident,
            at=context.clock.now() + timedelta(hours=hours),
        )
        reached = await resolver.step(step)
    return reached.people, reached.unreached


async def test_on_duty_follows_the_rotation_and_run_time_overrides(
    context: AppContext, config_path: Path
) -> None:
    incident_id = await open_test_incident(context)
    on_duty = OnDutyTarget(kind="on_duty", post="noc")
    assert await _people(context, config_path, incident_id, on_duty) == (["alpha"], [])
    assert await _people(context, config_path, incident_id, on_duty, hours=8) == (["bravo"], [])
    now = context.clock.now()
    async with context.sessions() as session:
        await add_override(
            session,
            config=loader(config_path),
            post_id="noc",
            person_id="echo",
            start=now,
            end=now + timedelta(hours=1),
            reason="Alpha at the doctor",
            actor=TEST_ACTOR,
            at=now,
        )
        await session.commit()
    assert await _people(context, config_path, incident_id, on_duty) == (["echo"], [])


async def test_person_role_commander_and_leaders(context: AppContext, config_path: Path) -> None:
    incident_id = await open_test_incident(
        context, services=("uplink", "soc-feed"), commander="delta"
    )
    assert await _people(
        context, config_path, incident_id, PersonTarget(kind="person", person="kilo")
    ) == (["kilo"], [])
    engineers = RoleTarget(kind="role", role=Role.ENGINEER, unit="comms")
    assert await _people(context, config_path, incident_id, engineers) == (
        ["echo", "foxtrot"],
        [],
    )
    commander = CommanderTarget(kind="commander")
    assert await _people(context, config_path, incident_id, commander) == (["delta"], [])
    service_leaders = UnitLeaderTarget(kind="unit_leader")
    assert await _people(context, config_path, incident_id, service_leaders) == (
        ["lima", "kilo"],
        [],
    )
    cyber = UnitLeaderTarget(kind="unit_leader", unit="cyber")
    # One person reached twice in a step is notified once.
    both = await _people(context, config_path, incident_id, cyber, service_leaders)
    assert both == (["kilo", "lima"], [])


async def test_a_target_that_finds_nobody_is_reported(
    context: AppContext, config_path: Path
) -> None:
    incident_id = await open_test_incident(context)
    reached = await _people(
        context,
        config_path,
        incident_id,
        CommanderTarget(kind="commander"),
        RoleTarget(kind="role", role=Role.ANALYST, unit="comms"),
        PersonTarget(kind="person", person="lima"),
    )
    assert reached == (["lima"], ["commander", "role:analyst@comms"])
