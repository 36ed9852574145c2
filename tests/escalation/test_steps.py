"""Escalation on the manual clock: steps in order, rounds, acknowledgement, frozen policies."""

from __future__ import annotations

from pathlib import Path

from garrison.clock import ManualClock
from garrison.incidents.models import Incident
from garrison.incidents.outbox import commit_and_publish
from garrison.incidents.transitions import acknowledge_incident, resolve_incident
from garrison.incidents.vocabulary import Category
from garrison.runtime.context import AppContext
from tests.escalation.factories import (
    TEST_ACTOR,
    Endpoints,
    advance,
    audit_actions,
    escalation_record,
    escalation_worker,
    incident,
    notifications,
    open_test_incident,
    recipients,
    timeline,
    write_scenario,
)


async def test_nobody_acknowledges_so_each_step_follows_after_its_wait_and_the_policy_repeats(
    context: AppContext, clock: ManualClock, config_path: Path
) -> None:
    worker = escalation_worker(context, config_path)
    incident_id = await open_test_incident(context, commander="delta")
    await worker.run_once()
    # Step 1: whoever is on duty at the NOC (Alpha, from 15:00 local).
    assert await recipients(context, incident_id) == ["alpha"]

    advance(clock, minutes=4, seconds=59)
    await worker.run_once()
    assert await recipients(context, incident_id) == ["alpha"]

    advance(clock, seconds=1)
    await worker.run_once()
    # Step 2: the engineers of the unit and the incident's commander.
    assert await recipients(context, incident_id) == ["alpha", "echo", "foxtrot", "delta"]

    advance(clock, minutes=10)
    await worker.run_once()
    # Step 3: the leader of the unit operating the incident's service.
    assert (await recipients(context, incident_id))[-1] == "lima"

    advance(clock, minutes=15)
    await worker.run_once()
    # The policy runs a second time.
    paged = await recipients(context, incident_id)
    assert paged[-1] == "alpha"
    assert len(paged) == 6

    advance(clock, minutes=25)
    await worker.run_once()
    await worker.run_once()
    advance(clock, minutes=15)
    await worker.run_once()
    record = await escalation_record(context, incident_id)
    assert record.status == "exhausted"
    assert record.next_due_at is None
    assert len(await recipients(context, incident_id)) == 10

    steps = [e.data for e in await timeline(context, incident_id, "escalation")]
    assert [(s["event"], s.get("level"), s.get("round")) for s in steps] == [
        ("started", 0, None),
        ("step", 1, 1),
        ("step", 2, 1),
        ("step", 3, 1),
        ("step", 1, 2),
        ("step", 2, 2),
        ("step", 3, 2),
        ("exhausted", 3, None),
    ]
    actions = await audit_actions(context, str(incident_id))
    assert actions.count("escalation.step_fired") == 5  # the first is part of the start
    assert "escalation.exhausted" in actions


async def test_acknowledging_stops_escalation_and_cancels_what_was_not_sent(
    context: AppContext, clock: ManualClock, config_path: Path
) -> None:
    worker = escalation_worker(context, config_path)
    incident_id = await open_test_incident(context)
    await worker.run_once()
    async with context.sessions() as session:
        found = await session.get_one(Incident, incident_id)
        await acknowledge_incident(session, incident=found, actor=TEST_ACTOR, now=clock.now())
        await commit_and_publish(session, context.bus)
    await worker.stop(incident_id, "acknowledged")

    advance(clock, minutes=30)
    await worker.run_once()
    assert await recipients(context, incident_id) == ["alpha"]
    record = await escalation_record(context, incident_id)
    assert (record.status, record.stop_reason) == ("stopped", "acknowledged")
    # The first page was never delivered (no delivery worker ran): it is cancelled.
    assert [n.status for n in await notifications(context, incident_id)] == ["cancelled"]


async def test_resolving_stops_escalation_even_when_the_event_was_missed(
    context: AppContext, clock: ManualClock, config_path: Path
) -> None:
    worker = escalation_worker(context, config_path)
    incident_id = await open_test_incident(context)
    await worker.run_once()
    async with context.sessions() as session:
        found = await session.get_one(Incident, incident_id)
        await resolve_incident(session, incident=found, actor=TEST_ACTOR, now=clock.now())
        await session.commit()  # no events published: the worker finds out when the step is due
    advance(clock, minutes=5)
    await worker.run_once()
    record = await escalation_record(context, incident_id)
    assert (record.status, record.stop_reason) == ("stopped", "resolved")
    assert await recipients(context, incident_id) == ["alpha"]


async def test_a_live_incident_keeps_the_policy_it_opened_with(
    context: AppContext, clock: ManualClock, config_path: Path, endpoints: Endpoints
) -> None:
    worker = escalation_worker(context, config_path)
    incident_id = await open_test_incident(context)
    await worker.run_once()
    # The configuration now pages the leader first, and the rules change too.
    write_scenario(
        config_path,
        endpoints,
        escalation="""
        escalation:
          default_policy: standard
          policies:
            - id: standard
              name: Leader first
              steps:
                - targets: [{kind: person, person: kilo}]
                  wait_minutes: 1
        """,
    )
    advance(clock, minutes=5)
    await worker.run_once()
    assert await recipients(context, incident_id) == ["alpha", "echo", "foxtrot"]
    # A new incident takes the new policy.
    second = await open_test_incident(context, title="Portal slow", services=("portal",))
    assert await worker.start(second)
    await worker.run_once()
    assert await recipients(context, second) == ["kilo"]
    assert (await incident(context, second)).status == "triggered"


async def test_rules_pick_the_policy_by_unit(
    context: AppContext, clock: ManualClock, config_path: Path
) -> None:
    worker = escalation_worker(context, config_path)
    incident_id = await open_test_incident(
        context, services=("soc-feed",), category=Category.MALWARE, title="Malware"
    )
    await worker.run_once()
    assert await recipients(context, incident_id) == ["mike"]
    assert (await escalation_record(context, incident_id)).policy_id == "security"
    advance(clock, minutes=3)
    await worker.run_once()
    assert await recipients(context, incident_id) == ["mike", "kilo"]
