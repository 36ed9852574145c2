"""A simulated event day in accelerated time: incidents handled, directives issued, a drill
with injects, a service interruption; then the daily report, every figure checked against
what the test recorded, and the PDF's text."""

from __future__ import annotations

import asyncio
import json
import subprocess
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from garrison.audit.actor import Actor
from garrison.clock import ManualClock
from garrison.config import load_config
from garrison.detection.alerts.models import DetectionAlert
from garrison.directives.models import Directive
from garrison.drills.service import start_drill
from garrison.drills.worker import DrillWorker
from garrison.incidents.models import Incident
from garrison.incidents.service import NewIncident, open_incident
from garrison.incidents.transitions import acknowledge_incident, resolve_incident
from garrison.incidents.vocabulary import Category, Classification, Severity
from garrison.incidents.worker import IncidentWorker
from garrison.probes.models import StateChangeRecord
from garrison.readiness.worker import ReadinessWorker
from garrison.reports.render import render_report
from garrison.reports.service import report_figures
from garrison.runtime.context import AppContext
from tests.readiness.factories import running

ACTOR = Actor.system("test")


def _pdf_text(path: Path) -> str:
    """The text of a PDF, read with poppler's pdftotext."""
    command = ["pdftotext", str(path), "-"]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return done.stdout


async def _incident(
    context: AppContext,
    clock: ManualClock,
    severity: Severity,
    category: Category,
    ack: float,
    resolve: float,
) -> None:
    async with context.sessions() as session:
        incident = await open_incident(
            session,
            new=NewIncident(
                title="Real incident",
                severity=severity,
                category=category,
                classification=Classification.INTERNAL,
            ),
            actor=ACTOR,
            now=clock.now(),
        )
        await acknowledge_incident(
            session, incident=incident, actor=ACTOR, now=clock.now() + timedelta(minutes=ack)
        )
        await resolve_incident(
            session,
            incident=incident,
            actor=ACTOR,
            now=clock.now() + timedelta(minutes=resolve),
            resolution_summary="fixed",
        )
        await session.commit()


async def _down(context: AppContext, clock: ManualClock, service: str, minutes: float) -> None:
    async with context.sessions() as session:
        for offset, previous, current in ((0, "up", "down"), (minutes, "down", "up")):
            session.add(
                StateChangeRecord(
                    subject_kind="service",
                    subject_id=service,
                    at=clock.now() + timedelta(minutes=offset),
                    previous=previous,
                    current=current,
                    measured=current,
                    evidence=[],
                )
            )
        await session.commit()


async def test_a_simulated_day_gives_a_daily_report_with_exact_figures(
    context: AppContext, clock: ManualClock, config_path: Path, tmp_path: Path
) -> None:
    config = load_config(config_path).config
    day_start = clock.now() - timedelta(hours=15)  # 00:00 event time (UTC+7)
    async with context.sessions() as session:
        for service in ("uplink", "portal"):
            session.add(
                StateChangeRecord(
                    subject_kind="service",
                    subject_id=service,
                    at=day_start,
                    previous="unknown",
                    current="up",
                    measured="up",
                    evidence=[],
                )
            )
        await session.commit()
    # Real incidents: acknowledge after 2, 4, 10 minutes; resolve after 30, 60, 90.
    await _incident(context, clock, Severity.SEV1, Category.AVAILABILITY, 2, 30)
    clock.advance(5 * 60)
    await _incident(context, clock, Severity.SEV2, Category.DEFACEMENT, 4, 60)
    clock.advance(5 * 60)
    await _incident(context, clock, Severity.SEV2, Category.AVAILABILITY, 10, 90)
    await _down(context, clock, "uplink", 12)
    # Directives: one completed, one overdue.
    async with context.sessions() as session:
        for status, deadline, completed in (
            ("completed", 60, clock.now() + timedelta(minutes=30)),
            ("issued", 30, None),
        ):
            session.add(
                Directive(
                    text="do it",
                    target_kind="person",
                    target_id="echo",
                    issuer_user_id=1,
                    issuer_username="lima",
                    deadline=clock.now() + timedelta(minutes=deadline),
                    status=status,
                    overdue_stage=0,
                    completed_at=completed,
                    created_at=clock.now(),
                    updated_at=clock.now(),
                )
            )
        await session.commit()
    # A drill whose injects must stay out of the real figures.
    async with context.sessions() as session:
        run = await start_drill(
            session, config=config, plan_id="rehearsal", actor=ACTOR, now=clock.now()
        )
        await session.commit()
    drills = DrillWorker(context)
    readiness = ReadinessWorker(context, load_event=lambda: config)
    clock.advance(25 * 60)
    incident_worker = IncidentWorker(context)
    async with running(incident_worker):
        assert len(await drills.run_once()) == 2
        # The detection inject is opened by the incident worker, as a real detection is.
        await asyncio.wait_for(incident_worker.wait_processed(1), timeout=10)
        assert await drills.run_once() == []  # links it to its inject
    async with context.sessions() as session:
        drill_detections = (await session.scalars(select(DetectionAlert))).all()
        assert [(d.is_drill, d.drill_run_id) for d in drill_detections] == [(True, run.id)]
        drill_incidents = (await session.scalars(select(Incident).where(Incident.is_drill))).all()
        assert len(drill_incidents) == 2
        assert all(i.title.startswith("[DRILL] ") for i in drill_incidents)
    for incident in drill_incidents:
        await readiness.attach(incident.id)
    clock.advance(3600)

    async with context.sessions() as session:
        figures = await report_figures(
            session, config=config, kind="daily", now=clock.now(), day=None
        )
    # Independently: 3 real incidents, 2 drill incidents.
    assert figures["incidents"]["total"] == 3
    assert figures["incidents"]["by_severity"] == {"sev1": 1, "sev2": 2}
    assert figures["incidents"]["by_category"] == {"availability": 2, "defacement": 1}
    assert figures["incidents"]["acknowledge_median"] == 240.0
    assert figures["incidents"]["acknowledge_p90"] == 600.0
    assert figures["incidents"]["resolve_median"] == 3600.0
    assert figures["incidents"]["resolve_p90"] == 5400.0
    assert figures["drill_incidents"]["total"] == 2
    assert figures["directives"] == {
        "issued": 2,
        "completed": 1,
        "completed_late": 0,
        "overdue": 1,
        "open": 1,
    }
    measured = (clock.now() - day_start).total_seconds()
    uplink = next(row for row in figures["availability"] if row["service"] == "uplink")
    assert uplink["interruptions"] == 1
    assert uplink["down_seconds"] == 12 * 60
    assert uplink["percent"] == round((measured - 720) / measured * 100, 3)
    assert figures["critical_interruptions"] == {"count": 1, "seconds": 720.0}
    # The drill's detection is stored, yet counted in no real figure.
    assert figures["detections"] == {"total": 0, "by_category": {}, "top_sources": []}
    assert figures["readiness_at_start"]["overall"] == 100.0
    assert len(figures["drills"]) == 1
    # Uplink inject: runbook attached, not acknowledged -> runbook met only; detection: 0.
    assert figures["drills"][0]["overall"] == round((round(100 / 3, 1) + 0) / 2, 1)

    pdf = render_report(
        figures, file_format="pdf", language="en", templates_dir=None, generated_at=clock.now()
    )
    path = tmp_path / "daily.pdf"
    path.write_bytes(pdf)
    text = _pdf_text(path)
    assert "Daily situation report" in text
    assert f"{uplink['percent']:g}%" in text
    assert "Total: 3" in text
    assert "Issued: 2; completed: 1; overdue: 1" in " ".join(text.split())
    exported = json.loads(
        render_report(
            figures, file_format="json", language="vi", templates_dir=None, generated_at=clock.now()
        )
    )
    assert exported["incidents"]["total"] == 3
    assert run.id >= 1
