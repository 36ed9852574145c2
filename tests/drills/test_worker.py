"""The drill worker on the manual clock: injects enter at their offsets as drills (title
prefix, is_drill on incident, alert and event, never leadership unless the plan says so),
results are scored, and drill incidents stay out of the real figures."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from garrison.config import load_config
from garrison.detection.alerts.models import DetectionAlert
from garrison.detection.events import DetectionAlertRaised
from garrison.drills.models import DrillInjectRecord
from garrison.drills.service import FINISHED, drill_score, get_run, start_drill
from garrison.drills.worker import DrillWorker
from garrison.incidents.events import IncidentOpened
from garrison.incidents.models import Alert, Incident
from garrison.incidents.outbox import commit_and_publish
from garrison.incidents.transitions import acknowledge_incident
from garrison.incidents.worker import IncidentWorker
from garrison.readiness.events import RunbookAttached
from garrison.readiness.worker import ReadinessWorker
from garrison.reports.service import report_figures
from garrison.runtime.context import AppContext
from tests.readiness.factories import TEST_ACTOR, WatchedClock, collecting, running

MINUTE = 60.0


async def _linked(context: AppContext, *, run_id: int, position: int) -> int:
    """The incident linked to an inject, once the drill worker has linked it (bounded)."""
    async with asyncio.timeout(10):
        while True:
            async with context.sessions() as session:
                record = (
                    await session.scalars(
                        select(DrillInjectRecord).where(
                            DrillInjectRecord.run_id == run_id,
                            DrillInjectRecord.position == position,
                        )
                    )
                ).one()
            if record.incident_id is not None:
                return record.incident_id
            await asyncio.sleep(0.01)


async def test_the_worker_injects_on_schedule_as_drills_kept_out_of_real_figures(
    context: AppContext, clock: WatchedClock, config_path: Path
) -> None:
    config = load_config(config_path).config
    start = clock.now()
    worker = DrillWorker(context)
    readiness = ReadinessWorker(context, load_event=lambda: config)
    async with (
        collecting(context.bus, IncidentOpened) as opened,
        collecting(context.bus, RunbookAttached) as runbooks,
        collecting(context.bus, DetectionAlertRaised) as detections,
        running(IncidentWorker(context)),
        running(worker),
        running(readiness),
    ):
        await clock.idle()
        async with context.sessions() as session:
            run = await start_drill(
                session, config=config, plan_id="rehearsal", actor=TEST_ACTOR, now=start
            )
            await commit_and_publish(session, context.bus)
        await clock.advance_and_settle(9 * MINUTE)
        assert opened.events == []  # the first inject is due at +10 min
        await clock.advance_and_settle(1 * MINUTE)
        (first,) = await opened.wait_for(1)
        await clock.advance_and_settle(10 * MINUTE)
        # The detection inject goes the way of a real detection: stored, announced on the
        # bus, and opened as an incident by the incident worker.
        (raised,) = await detections.wait_for(1)
        second = (await opened.wait_for(2))[1]
        (runbook,) = await runbooks.wait_for(1)
        await _linked(context, run_id=run.id, position=2)
    assert (runbook.incident_id, runbook.plan_id) == (first.incident_id, "link-cut")
    assert first.is_drill
    assert second.is_drill
    assert first.title == "[DRILL] Uplink down (drill)"
    assert raised.is_drill
    assert raised.drill == {
        "run_id": run.id,
        "inject": 2,
        "announced": False,
        "notify_leadership": False,
    }
    assert (raised.category, raised.source_address) == ("defacement", "203.0.113.9")
    assert second.title.startswith("[DRILL] Defacement of the portal (drill)")
    async with context.sessions() as session:
        records = (
            await session.scalars(
                select(DrillInjectRecord)
                .where(DrillInjectRecord.run_id == run.id)
                .order_by(DrillInjectRecord.position)
            )
        ).all()
        assert [r.injected_at for r in records] == [
            start + timedelta(minutes=10),
            start + timedelta(minutes=20),
        ]
        assert [r.incident_id for r in records] == [first.incident_id, second.incident_id]
        assert all(r.error is None for r in records)
        assert (await get_run(session, run_id=run.id)).status == FINISHED
        incidents = (await session.scalars(select(Incident))).all()
        assert all(i.is_drill and i.title.startswith("[DRILL] ") for i in incidents)
        (stored,) = (await session.scalars(select(DetectionAlert))).all()
        assert (stored.alert_id, stored.is_drill) == (raised.alert_id, True)
        assert (stored.drill_run_id, stored.drill_inject) == (run.id, 2)
        alerts = (await session.scalars(select(Alert))).all()
        assert len(alerts) == 2
        assert all(a.is_drill for a in alerts)
        drill_details = [a.details["drill"] for a in alerts]
        assert all(
            d["notify_leadership"] is False and d["announced"] is False for d in drill_details
        )
        # The responders acknowledge the uplink inject 3 minutes after it opened.
        uplink = await session.get_one(Incident, first.incident_id)
        await acknowledge_incident(
            session, incident=uplink, actor=TEST_ACTOR, now=uplink.opened_at + timedelta(minutes=3)
        )
        await session.commit()
        score = await drill_score(session, run_id=run.id)
        # Uplink: acknowledged in time, runbook link-cut attached by the readiness worker,
        # not resolved within 30 min -> 2 of 3. The defacement inject: not acknowledged -> 0.
        assert [s.met for s in score.injects] == [
            {"acknowledge": True, "resolve": False, "runbook": True},
            {"acknowledge": False},
        ]
        assert score.overall == round((round(200 / 3, 1) + 0.0) / 2, 1)
        figures = await report_figures(
            session, config=config, kind="daily", now=clock.now() + timedelta(minutes=1), day=None
        )
    assert figures["incidents"]["total"] == 0
    assert figures["detections"] == {"total": 0, "by_category": {}, "top_sources": []}
    assert figures["incidents"]["by_severity"] == {}
    assert figures["drill_incidents"]["total"] == 2
    assert figures["drill_incidents"]["acknowledge_median"] == 180.0
