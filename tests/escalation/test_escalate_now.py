"""Escalate now, on the manual clock: the next step once, the old timer never again, safe
across a crash, a restart and a doubled request; refusals; what happens at the top."""

from __future__ import annotations

from pathlib import Path

import pytest

from garrison.audit.actor import Actor
from garrison.clock import ManualClock
from garrison.errors import ConflictError
from garrison.escalation.escalate_now import EscalatedNow, escalate_now
from garrison.incidents.models import Incident
from garrison.incidents.outbox import commit_and_publish
from garrison.incidents.timeline import describe_entry
from garrison.incidents.transitions import acknowledge_incident, resolve_incident
from garrison.incidents.vocabulary import Category
from garrison.probes.models import ServiceStateRecord
from garrison.runtime.context import AppContext
from tests.escalation.factories import (
    TEST_ACTOR,
    Endpoints,
    advance,
    audit_actions,
    escalation_record,
    escalation_worker,
    loader,
    notification_worker,
    open_test_incident,
    recipients,
    timeline,
    write_scenario,
)
from tests.notify.sinks import SmtpSink

COMMANDER = Actor(kind="user", id="delta", name="Delta")


async def _escalate(
    context: AppContext,
    config_path: Path,
    incident_id: int,
    *,
    note: str | None = None,
    expected_version: int | None = None,
    commit: bool = True,
) -> EscalatedNow:
    async with context.sessions() as session:
        found = await session.get_one(Incident, incident_id)
        done = await escalate_now(
            session,
            incident=found,
            actor=COMMANDER,
            config=loader(config_path),
            now=context.clock.now(),
            default_language="en",
            note=note,
            expected_version=expected_version,
        )
        if commit:
            await commit_and_publish(session, context.bus)
        else:
            await session.rollback()  # the process died before the commit
    return done


async def test_escalate_now_pages_the_next_step_once_and_the_old_timer_never_fires_it_again(
    context: AppContext, clock: ManualClock, config_path: Path, smtp: SmtpSink
) -> None:
    worker = escalation_worker(context, config_path)
    incident_id = await open_test_incident(context)
    await worker.run_once()
    assert await recipients(context, incident_id) == ["alpha"]

    advance(clock, minutes=1)
    done = await _escalate(context, config_path, incident_id, note="Alpha is on the radio")
    assert (done.level, done.round, done.again, done.timer_running) == (2, 1, False, True)
    assert done.notified == ("Echo", "Foxtrot")
    assert await recipients(context, incident_id) == ["alpha", "echo", "foxtrot"]
    record = await escalation_record(context, incident_id)
    # The new step waits its own ten minutes from now, not from the old schedule.
    assert record.next_due_at == clock.now().replace(minute=11)

    # The old due time of step 2 comes: nothing fires, in this worker or after a restart.
    advance(clock, minutes=4)
    await worker.run_once()
    await escalation_worker(context, config_path).run_once()
    assert await recipients(context, incident_id) == ["alpha", "echo", "foxtrot"]

    delivered = notification_worker(context, config_path)
    await delivered.deliver_once()
    mails = await smtp.wait_for(3)
    assert sorted(mail.recipients[0] for mail in mails) == [
        "alpha@congress.example",
        "echo@congress.example",
        "foxtrot@congress.example",
    ]

    advance(clock, minutes=6)  # 08:11: the re-armed timer pages step 3
    await worker.run_once()
    assert await recipients(context, incident_id) == ["alpha", "echo", "foxtrot", "lima"]
    await delivered.deliver_once()
    await smtp.wait_for(4)
    assert len(smtp.messages) == 4

    [entry] = [
        e
        for e in await timeline(context, incident_id, "escalation")
        if e.data["event"] == "escalated_now"
    ]
    assert (entry.actor_name, entry.text) == ("Delta", "Alpha is on the radio")
    assert describe_entry(entry) == "Escalated now by Delta, to level 2 (round 1): Echo, Foxtrot"
    assert "escalation.escalated_now" in await audit_actions(context, str(incident_id))


async def test_a_crash_before_the_commit_sends_nothing_and_the_timer_fires_the_step_once(
    context: AppContext, clock: ManualClock, config_path: Path
) -> None:
    worker = escalation_worker(context, config_path)
    incident_id = await open_test_incident(context)
    await worker.run_once()
    await _escalate(context, config_path, incident_id, commit=False)
    assert await recipients(context, incident_id) == ["alpha"]
    advance(clock, minutes=5)
    restarted = escalation_worker(context, config_path)
    await restarted.run_once()
    await restarted.run_once()
    assert await recipients(context, incident_id) == ["alpha", "echo", "foxtrot"]


async def test_a_doubled_request_sends_once(
    context: AppContext, clock: ManualClock, config_path: Path
) -> None:
    incident_id = await open_test_incident(context)
    await escalation_worker(context, config_path).run_once()
    seen = (await escalation_record(context, incident_id)).version
    await _escalate(context, config_path, incident_id, expected_version=seen)
    with pytest.raises(ConflictError, match="moved on"):
        await _escalate(context, config_path, incident_id, expected_version=seen)
    assert await recipients(context, incident_id) == ["alpha", "echo", "foxtrot"]
    actions = await audit_actions(context, str(incident_id))
    assert actions.count("escalation.escalated_now") == 1


async def test_a_resolved_incident_is_not_escalated(
    context: AppContext, clock: ManualClock, config_path: Path
) -> None:
    incident_id = await open_test_incident(context)
    await escalation_worker(context, config_path).run_once()
    async with context.sessions() as session:
        found = await session.get_one(Incident, incident_id)
        await resolve_incident(session, incident=found, actor=TEST_ACTOR, now=clock.now())
        await session.commit()
    with pytest.raises(ConflictError, match="resolved or closed"):
        await _escalate(context, config_path, incident_id)
    assert await recipients(context, incident_id) == ["alpha"]


async def test_at_the_top_the_next_round_then_the_last_step_again(
    context: AppContext, clock: ManualClock, config_path: Path, smtp: SmtpSink
) -> None:
    worker = escalation_worker(context, config_path)
    # The security policy: Mike, then the cyber unit's leader Kilo; one round.
    incident_id = await open_test_incident(
        context, services=("soc-feed",), category=Category.MALWARE, title="Malware"
    )
    await worker.run_once()
    climbed = await _escalate(context, config_path, incident_id)
    assert (climbed.level, climbed.again) == (2, False)
    again = await _escalate(context, config_path, incident_id)
    assert (again.level, again.round, again.again, again.timer_running) == (2, 1, True, True)
    assert await recipients(context, incident_id) == ["mike", "kilo", "kilo"]
    # The running escalation gives Kilo the last wait again, then is exhausted.
    advance(clock, minutes=4, seconds=59)
    await worker.run_once()
    assert (await escalation_record(context, incident_id)).status == "active"
    advance(clock, seconds=1)
    await worker.run_once()
    assert (await escalation_record(context, incident_id)).status == "exhausted"

    exhausted = await _escalate(context, config_path, incident_id, note="Call Kilo again")
    assert (exhausted.level, exhausted.again, exhausted.timer_running) == (2, True, False)
    record = await escalation_record(context, incident_id)
    assert (record.status, record.next_due_at) == ("exhausted", None)
    assert await recipients(context, incident_id) == ["mike", "kilo", "kilo", "kilo"]
    await notification_worker(context, config_path).deliver_once()
    mails = await smtp.wait_for(4)
    assert [mail.recipients[0] for mail in mails].count("kilo@congress.example") == 3
    sentences = [
        describe_entry(e)
        for e in await timeline(context, incident_id, "escalation")
        if e.data["event"] == "notified_again"
    ]
    assert (
        sentences
        == ["Escalated now by Delta: no level left above, so level 2 was notified again: Kilo"] * 2
    )


async def test_after_the_last_step_of_a_round_escalate_now_starts_the_next_round(
    context: AppContext, clock: ManualClock, config_path: Path
) -> None:
    worker = escalation_worker(context, config_path)
    incident_id = await open_test_incident(context)
    await worker.run_once()
    await _escalate(context, config_path, incident_id)
    await _escalate(context, config_path, incident_id)
    done = await _escalate(context, config_path, incident_id)
    assert (done.level, done.round, done.again) == (1, 2, False)
    assert await recipients(context, incident_id) == ["alpha", "echo", "foxtrot", "lima", "alpha"]


async def test_an_acknowledged_incident_pages_the_next_step_once_and_stays_stopped(
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
    done = await _escalate(context, config_path, incident_id)
    assert (done.level, done.timer_running) == (2, False)
    record = await escalation_record(context, incident_id)
    assert (record.status, record.next_due_at) == ("stopped", None)
    advance(clock, minutes=30)
    await worker.run_once()
    assert await recipients(context, incident_id) == ["alpha", "echo", "foxtrot"]


async def test_without_a_policy_or_while_in_maintenance_nothing_is_sent(
    context: AppContext, clock: ManualClock, config_path: Path, endpoints: Endpoints
) -> None:
    not_started = await open_test_incident(context)
    with pytest.raises(ConflictError, match="not started yet"):
        await _escalate(context, config_path, not_started)
    await escalation_worker(context, config_path).run_once()

    now = clock.now()
    async with context.sessions() as session:
        session.add(
            ServiceStateRecord(
                service_id="uplink",
                state="down",
                measured="down",
                since=now,
                in_maintenance=True,
                updated_at=now,
            )
        )
        await session.commit()
    with pytest.raises(ConflictError, match="maintenance"):
        await _escalate(context, config_path, not_started)
    assert await recipients(context, not_started) == ["alpha"]

    write_scenario(
        config_path,
        endpoints,
        escalation="""
        escalation:
          policies:
            - id: security
              name: Security
              steps:
                - targets: [{kind: person, person: mike}]
                  wait_minutes: 3
          rules:
            - {policy: security, units: [cyber]}
        """,
    )
    unrouted = await open_test_incident(context, services=("portal",), title="Portal slow")
    await escalation_worker(context, config_path).run_once()
    assert (await escalation_record(context, unrouted)).status == "unrouted"
    with pytest.raises(ConflictError, match="No escalation policy"):
        await _escalate(context, config_path, unrouted)
    assert await recipients(context, unrouted) == []
