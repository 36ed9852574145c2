"""Drills stay off leadership channels: escalation of a drill incident withholds a unit's
leader and people whose role is leader, unless the drill plan says ``notify_leadership``."""

from __future__ import annotations

from pathlib import Path

import pytest

from garrison.config import EventConfig, load_config
from garrison.config.escalation import EscalationStep
from garrison.drills.models import DrillInjectRecord
from garrison.drills.service import inject, injects_of, start_drill
from garrison.escalation.targets import TargetResolver
from garrison.incidents.models import Incident
from garrison.incidents.service import NewIncident, open_incident
from garrison.incidents.vocabulary import Category, Classification, Severity
from garrison.runtime.context import AppContext
from tests.readiness.factories import TEST_ACTOR

STEP = EscalationStep.model_validate(
    {
        "targets": [
            {"kind": "person", "person": "echo"},
            {"kind": "person", "person": "lima"},  # lima's role is leader
            {"kind": "unit_leader", "unit": "comms"},
        ],
        "wait_minutes": 1,
    }
)


def _drills_may_notify_leadership(config: EventConfig, allowed: bool) -> EventConfig:
    drill = config.readiness.drills[0].model_copy(update={"notify_leadership": allowed})
    section = config.readiness.model_copy(update={"drills": (drill,)})
    return config.model_copy(update={"readiness": section})


async def _drill_incident(context: AppContext, config: EventConfig) -> Incident:
    async with context.sessions() as session:
        run = await start_drill(
            session, config=config, plan_id="rehearsal", actor=TEST_ACTOR, now=context.clock.now()
        )
        first: DrillInjectRecord = (await injects_of(session, run_id=run.id))[0]
        await inject(session, record=first, now=context.clock.now())
        await session.commit()
        assert first.incident_id is not None
        return await session.get_one(Incident, first.incident_id)


async def _reach(
    context: AppContext, config: EventConfig, incident: Incident
) -> tuple[list[str], list[str]]:
    async with context.sessions() as session:
        resolver = TargetResolver(session, config=config, incident=incident, at=context.clock.now())
        reached = await resolver.step(STEP)
    assert reached.unreached == []
    return reached.people, reached.withheld


@pytest.mark.parametrize("allowed", [False, True])
async def test_a_drill_reaches_leaders_only_when_its_plan_says_so(
    context: AppContext, config_path: Path, allowed: bool
) -> None:
    config = _drills_may_notify_leadership(load_config(config_path).config, allowed)
    incident = await _drill_incident(context, config)
    people, withheld = await _reach(context, config, incident)
    if allowed:
        assert (people, withheld) == (["echo", "lima"], [])
    else:
        assert (people, withheld) == (["echo"], ["person:lima", "unit_leader:comms"])


async def test_real_incidents_and_drills_without_a_plan(
    context: AppContext, config_path: Path
) -> None:
    config = load_config(config_path).config
    async with context.sessions() as session:
        real, by_hand = [
            await open_incident(
                session,
                new=NewIncident(
                    title="Uplink down",
                    severity=Severity.SEV1,
                    category=Category.AVAILABILITY,
                    classification=Classification.INTERNAL,
                    is_drill=is_drill,
                ),
                actor=TEST_ACTOR,
                now=context.clock.now(),
            )
            for is_drill in (False, True)
        ]
        await session.commit()
    assert await _reach(context, config, real) == (["echo", "lima"], [])
    # A drill incident opened by hand has no plan that allows leaders: they are withheld.
    assert await _reach(context, config, by_hand) == (
        ["echo"],
        ["person:lima", "unit_leader:comms"],
    )
