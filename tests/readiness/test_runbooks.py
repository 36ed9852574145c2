"""A plan's runbook attaches to a matching incident (the running readiness worker, on
IncidentOpened); ticking a step puts it on the incident's timeline."""

from __future__ import annotations

from pathlib import Path

import pytest

from garrison.config import load_config
from garrison.errors import ConflictError, NotFoundError
from garrison.incidents.outbox import commit_and_publish
from garrison.incidents.service import NewIncident, open_incident
from garrison.incidents.timeline import list_timeline
from garrison.incidents.vocabulary import Category, Classification, Severity
from garrison.readiness.events import RunbookAttached
from garrison.readiness.plans import checklists_of, tick_step
from garrison.readiness.worker import ReadinessWorker
from garrison.runtime.context import AppContext
from tests.readiness.factories import TEST_ACTOR, collecting, running


async def _open(context: AppContext, title: str, services: tuple[str, ...]) -> int:
    async with context.sessions() as session:
        incident = await open_incident(
            session,
            new=NewIncident(
                title=title,
                severity=Severity.SEV2,
                category=Category.AVAILABILITY,
                classification=Classification.INTERNAL,
                services=services,
            ),
            actor=TEST_ACTOR,
            now=context.clock.now(),
        )
        await commit_and_publish(session, context.bus)
        return incident.id


async def test_the_runbook_attaches_to_a_matching_incident_and_ticks_go_on_the_timeline(
    context: AppContext, config_path: Path
) -> None:
    config = load_config(config_path).config
    worker = ReadinessWorker(context, load_event=lambda: config)
    async with collecting(context.bus, RunbookAttached) as attached, running(worker):
        unrelated = await _open(context, "Portal slow", ("portal",))
        matching = await _open(context, "Uplink down", ("uplink",))
        (event,) = await attached.wait_for(1)
    assert (event.incident_id, event.plan_id) == (matching, "link-cut")
    async with context.sessions() as session:
        assert await checklists_of(session, incident_id=unrelated) == []
        ((checklist, steps),) = await checklists_of(session, incident_id=matching)
        assert checklist.id == event.checklist_id
        assert checklist.plan_name == "Link cut"
        assert [(s.position, s.title, s.owner_role, s.expected_minutes) for s in steps] == [
            (1, "Switch to backup link", "network engineer", 5.0),
            (2, "Call the carrier", "duty officer", 10.0),
        ]
        await tick_step(
            session,
            incident_id=matching,
            step_id=steps[0].id,
            note="Backup carries the traffic",
            actor=TEST_ACTOR,
            now=context.clock.now(),
        )
        await session.commit()
        with pytest.raises(ConflictError):
            await tick_step(
                session,
                incident_id=matching,
                step_id=steps[0].id,
                note=None,
                actor=TEST_ACTOR,
                now=context.clock.now(),
            )
        with pytest.raises(NotFoundError):  # a step of another incident's runbook
            await tick_step(
                session,
                incident_id=unrelated,
                step_id=steps[1].id,
                note=None,
                actor=TEST_ACTOR,
                now=context.clock.now(),
            )
        timeline = await list_timeline(session, incident_id=matching)
    events = [entry.data.get("event") for entry in timeline]
    assert events.count("runbook_attached") == 1
    done = next(e for e in timeline if e.data.get("event") == "runbook_step_done")
    assert done.text == "Runbook step done: Switch to backup link"
    assert done.data["note"] == "Backup carries the traffic"
    # Attaching again (a second IncidentOpened, a restart) adds nothing.
    assert await worker.attach(matching) == []
