"""Plan edits: an API edit wins over the configured plan until the configuration changes
that plan; a plan made only through the API always counts; references are checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from garrison.config import EventConfig, load_config
from garrison.config.plans import Plan, RunbookStep
from garrison.errors import ValidationFailed
from garrison.readiness.plans import effective_plans, parse_plan, plan_matches, save_plan
from garrison.runtime.context import AppContext
from tests.readiness.factories import TEST_ACTOR


def _with_plan(config: EventConfig, plan: Plan) -> EventConfig:
    section = config.readiness.model_copy(update={"plans": (plan,)})
    return config.model_copy(update={"readiness": section})


async def test_an_api_edit_wins_until_the_configuration_changes_the_plan(
    context: AppContext, config_path: Path
) -> None:
    config = load_config(config_path).config
    configured = config.readiness.plans[0]
    edited = configured.model_copy(
        update={
            "runbook": (
                *configured.runbook,
                RunbookStep(title="Tell the leader", owner_role="commander"),
            )
        }
    )
    async with context.sessions() as session:
        await save_plan(
            session, config=config, plan=edited, actor=TEST_ACTOR, now=context.clock.now()
        )
        await session.commit()
        (found,) = await effective_plans(session, config=config)
        assert (found.source, found.stale_edit) == ("edit", False)
        assert len(found.plan.runbook) == 3
        # The file changes the plan: the file wins, the edit is kept but marked stale.
        changed = _with_plan(config, configured.model_copy(update={"name": "Link cut (v2)"}))
        (found,) = await effective_plans(session, config=changed)
        assert (found.source, found.stale_edit, found.plan.name) == (
            "config",
            True,
            "Link cut (v2)",
        )
        # A plan the configuration does not have, made through the API, always counts.
        extra = parse_plan(
            {"name": "Press PC malware", "trigger": {"categories": ["malware"]}}, plan_id="malware"
        )
        await save_plan(
            session, config=changed, plan=extra, actor=TEST_ACTOR, now=context.clock.now()
        )
        await session.commit()
        plans = await effective_plans(session, config=changed)
    assert [(p.plan.id, p.source) for p in plans] == [("link-cut", "config"), ("malware", "edit")]


def test_a_bad_plan_names_the_field() -> None:
    with pytest.raises(ValidationFailed, match=r"runbook\.0\.expected_minutes"):
        parse_plan(
            {"name": "X", "runbook": [{"title": "a", "owner_role": "b", "expected_minutes": -1}]},
            plan_id="x",
        )


async def test_an_edit_must_name_known_services_and_units(
    context: AppContext, config_path: Path
) -> None:
    config = load_config(config_path).config
    async with context.sessions() as session:
        for data, field in (
            ({"name": "X", "trigger": {"services": ["nowhere"]}}, r"trigger\.services\.0"),
            ({"name": "X", "priorities": ["uplink", "nowhere"]}, r"priorities\.1"),
            ({"name": "X", "unit": "nowhere"}, "unit"),
        ):
            with pytest.raises(ValidationFailed, match=field):
                await save_plan(
                    session,
                    config=config,
                    plan=parse_plan(data, plan_id="x"),
                    actor=TEST_ACTOR,
                    now=context.clock.now(),
                )


def test_a_plan_matches_on_service_source_or_category() -> None:
    plan = parse_plan(
        {
            "name": "X",
            "trigger": {
                "services": ["uplink"],
                "sources": ["detection"],
                "categories": ["defacement"],
            },
        },
        plan_id="x",
    )
    assert plan_matches(plan, services=["uplink"], sources=[], category="availability")
    assert plan_matches(plan, services=[], sources=["detection"], category="availability")
    assert plan_matches(plan, services=[], sources=[], category="defacement")
    assert not plan_matches(plan, services=["portal"], sources=["probes"], category="malware")
