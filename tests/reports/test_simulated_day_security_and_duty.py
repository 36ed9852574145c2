"""A second simulated event day: security detections (a drill's among them), incidents,
directives, a duty post with a coverage gap, check-ins kept and missed, two shift
handovers, readiness tasks; then the shift, daily and final reports, every figure checked
against values computed here by hand, and the PDFs' text."""

from __future__ import annotations

import subprocess
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from garrison.config import EventConfig, load_config
from garrison.detection.alerts.models import DetectionAlert
from garrison.directives.models import Directive
from garrison.duty.models import CheckInRecord, HandoverNote
from garrison.incidents.service import NewIncident, open_incident
from garrison.incidents.transitions import acknowledge_incident, resolve_incident
from garrison.incidents.vocabulary import Category, Classification, Severity
from garrison.probes.models import StateChangeRecord
from garrison.readiness.models import ReadinessTask
from garrison.reports.render import render_report
from garrison.reports.service import report_figures
from garrison.runtime.context import AppContext
from tests.readiness.factories import TEST_ACTOR, WatchedClock
from tests.reports.scenario import SCENARIO

HOUR = 3600.0
POSTS = "  posts:\n    - {id: noc, name: NOC desk, unit: comms}\nservices:"
# The post is held from 06:00 on the first day (12-hour shifts): 00:00-06:00 is a gap.
DUTY = """duty:
  rotations:
    - {post: noc, shift_length: 12, handoff_time: "06:00", people: [echo, lima], start: 2026-06-01}
"""


def _write_config(path: Path) -> EventConfig:
    path.write_text(SCENARIO.replace("services:", POSTS, 1) + DUTY, encoding="utf-8")
    return load_config(path).config


def _pdf_text(pdf: bytes, tmp_path: Path, name: str) -> str:
    path = tmp_path / name
    path.write_bytes(pdf)
    done = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True)
    return " ".join(done.stdout.split())


def _detection(
    category: str, source: str, at: datetime, count: int, *, drill: bool
) -> DetectionAlert:
    return DetectionAlert(
        alert_id=str(uuid.uuid4()),
        fingerprint=uuid.uuid4().hex,
        rule_id="r",
        rule_title="Rule",
        rule_level="high",
        rule_author="Garrison tests",
        rule_license="DRL-1.1",
        kind="rule",
        category=category,
        source="web",
        summary="seen",
        source_address=source,
        host=None,
        matched_fields={},
        events=[],
        occurred_at=at,
        first_seen_at=at,
        last_seen_at=at,
        count=count,
        is_drill=drill,
    )


def _change(
    service: str, at: datetime, previous: str, current: str, *, maintenance: bool = False
) -> StateChangeRecord:
    return StateChangeRecord(
        subject_kind="service",
        subject_id=service,
        at=at,
        previous=previous,
        current=current,
        measured=current,
        in_maintenance=maintenance,
        evidence=[],
    )


async def _incident(
    context: AppContext,
    at: datetime,
    severity: Severity,
    category: Category,
    ack: float,
    resolve: float,
    *,
    drill: bool = False,
) -> None:
    async with context.sessions() as session:
        incident = await open_incident(
            session,
            new=NewIncident(
                title="Incident",
                severity=severity,
                category=category,
                classification=Classification.INTERNAL,
                is_drill=drill,
            ),
            actor=TEST_ACTOR,
            now=at,
        )
        await acknowledge_incident(
            session, incident=incident, actor=TEST_ACTOR, now=at + timedelta(minutes=ack)
        )
        await resolve_incident(
            session,
            incident=incident,
            actor=TEST_ACTOR,
            now=at + timedelta(minutes=resolve),
            resolution_summary="fixed",
        )
        await session.commit()


def _handover(at: datetime, incoming: str, remarks: str, *, acknowledged: bool) -> HandoverNote:
    return HandoverNote(
        post_id="noc",
        outgoing_person_id="echo",
        shift_start=at - timedelta(hours=12),
        shift_end=at,
        incoming_person_id=incoming,
        remarks=remarks,
        open_incidents=[],
        pending_directives=[],
        reference_list=[],
        written_at=at,
        written_by="echo",
        acknowledged_at=at + timedelta(minutes=5) if acknowledged else None,
    )


def _check_in(due: datetime, *, checked: bool | None) -> CheckInRecord:
    return CheckInRecord(
        post_id="noc",
        person_id="echo",
        shift_start=due,
        shift_end=due + timedelta(hours=12),
        due_at=due,
        checked_in_at=due - timedelta(minutes=5) if checked else None,
        missed_at=due + timedelta(minutes=15) if checked is False else None,
    )


def _directive(created: datetime, deadline: datetime, completed: datetime | None) -> Directive:
    return Directive(
        text="Report the uplink status",
        target_kind="person",
        target_id="echo",
        issuer_user_id=1,
        issuer_username="lima",
        deadline=deadline,
        status="completed" if completed else "issued",
        overdue_stage=0,
        completed_at=completed,
        created_at=created,
        updated_at=created,
    )


def _task(unit: str, deadline: datetime, completed: datetime | None) -> ReadinessTask:
    return ReadinessTask(
        title="Prepare",
        description="",
        unit_id=unit,
        deadline=deadline,
        status="done" if completed else "open",
        completed_at=completed,
        created_at=deadline - timedelta(days=5),
        created_by="test",
        updated_at=deadline,
    )


async def _record_the_day(context: AppContext, day: datetime) -> None:
    """``day`` is local midnight of 2026-06-01 (the event's start)."""

    def h(hours: float) -> datetime:
        return day + timedelta(hours=hours)

    async with context.sessions() as session:
        session.add_all(
            [
                # Uplink (critical): up, then down 30 min unplanned at 10:00.
                _change("uplink", h(0), "unknown", "up"),
                _change("uplink", h(10), "up", "down"),
                _change("uplink", h(10.5), "down", "up"),
                # Portal: down for an hour inside a maintenance window, never unplanned.
                _change("portal", h(0), "unknown", "up"),
                _change("portal", h(2), "up", "down", maintenance=True),
                _change("portal", h(3), "down", "up"),
                # Detections: 03:00 (before the shift), 09:00 and 12:00; one is a drill's.
                _detection("ddos", "203.0.113.5", h(3), 5, drill=False),
                _detection("ddos", "203.0.113.7", h(9), 2, drill=False),
                _detection("defacement", "203.0.113.5", h(12), 1, drill=False),
                _detection("malware", "198.51.100.9", h(12), 4, drill=True),
                # Check-ins: kept at 01:00, missed at 07:00, kept at 13:00, pending at 16:54.
                _check_in(h(1), checked=True),
                _check_in(h(7), checked=False),
                _check_in(h(13), checked=True),
                _check_in(h(16.9), checked=None),
                # Handovers at 02:00 (not acknowledged) and 12:00 (acknowledged).
                _handover(h(2), "lima", "Night quiet", acknowledged=False),
                _handover(h(12), "lima", "Uplink flapped at 10:00", acknowledged=True),
                # Directives: one completed late (04:00, due 06:00, done 07:00), one open.
                _directive(h(4), h(6), h(7)),
                _directive(h(12), h(20), None),
                # Readiness: comms had 1 of 2 done by the start; cyber's came after it.
                _task("comms", h(-24), h(-1)),
                _task("comms", h(-24), None),
                _task("cyber", h(-24), h(1)),
            ]
        )
        await session.commit()
    await _incident(context, h(3), Severity.SEV3, Category.MALWARE, 10, 120)
    await _incident(context, h(10), Severity.SEV1, Category.AVAILABILITY, 3, 30)
    await _incident(context, h(11), Severity.SEV2, Category.DEFACEMENT, 1, 5, drill=True)


def _expected_common(figures: dict[str, Any]) -> None:
    assert figures["drill_incidents"]["total"] == 1
    assert figures["drills"] == []
    assert figures["readiness_at_start"] == {
        "overall": round(1 / 3 * 100, 1),
        "per_unit": {"comms": 50.0, "cyber": 0.0},
    }


async def test_shift_daily_and_final_reports_of_a_day_with_detections_and_duty(
    context: AppContext, clock: WatchedClock, config_path: Path, tmp_path: Path
) -> None:
    config = _write_config(config_path)
    day = config.event.start  # 2026-06-01 00:00 in Hanoi, 2026-05-31 17:00 UTC
    await _record_the_day(context, day)
    now = day + timedelta(hours=17)  # 17:00 in Hanoi: the shift report covers 05:00-17:00
    clock.advance((now - clock.now()).total_seconds())

    async with context.sessions() as session:
        daily = await report_figures(session, config=config, kind="daily", now=now, day=None)
        final = await report_figures(session, config=config, kind="final", now=now, day=None)
        shift = await report_figures(session, config=config, kind="shift", now=now, day=None)

    # Daily and final cover the same 17 hours here (the event began at midnight).
    for figures in (daily, final):
        assert (figures["since"], figures["until"]) == (day.isoformat(), now.isoformat())
        uplink, portal = figures["availability"]
        assert uplink["service"] == "uplink"
        assert uplink["percent"] == round(16.5 / 17 * 100, 3)
        assert (uplink["interruptions"], uplink["down_seconds"]) == (1, 0.5 * HOUR)
        assert uplink["per_day"] == {"2026-06-01": round(16.5 / 17 * 100, 3)}
        assert portal["percent"] == 100.0  # the hour down was maintenance
        assert (portal["interruptions"], portal["maintenance_seconds"]) == (0, HOUR)
        assert figures["availability_per_site"] == {
            "-": round((round(16.5 / 17 * 100, 3) + 100.0) / 2, 3)
        }
        assert figures["critical_interruptions"] == {"count": 1, "seconds": 0.5 * HOUR}
        assert figures["incidents"] == {
            "total": 2,
            "open": 0,
            "by_severity": {"sev1": 1, "sev3": 1},
            "by_category": {"availability": 1, "malware": 1},
            "acknowledge_median": (3 * 60 + 10 * 60) / 2,
            "acknowledge_p90": 600.0,
            "resolve_median": (30 * 60 + 120 * 60) / 2,
            "resolve_p90": 7200.0,
        }
        assert figures["detections"] == {
            "total": 8,
            "by_category": {"ddos": 7, "defacement": 1},
            "top_sources": [
                {"address": "203.0.113.5", "count": 6},
                {"address": "203.0.113.7", "count": 2},
            ],
        }
        assert figures["directives"] == {
            "issued": 2,
            "completed": 1,
            "completed_late": 1,
            "overdue": 0,
            "open": 1,
        }
        assert figures["duty"] == {
            "check_ins": 3,
            "checked_in": 2,
            "missed": 1,
            "check_in_percent": round(2 / 3 * 100, 1),
            "gap_seconds": 6 * HOUR,
            "coverage_percent": round((1 - 6 / 17) * 100, 2),
            "handovers": 2,
        }
        assert [h["remarks"] for h in figures["handovers"]] == [
            "Night quiet",
            "Uplink flapped at 10:00",
        ]
        assert [h["acknowledged"] for h in figures["handovers"]] == [False, True]
        _expected_common(figures)

    assert shift["since"] == (now - timedelta(hours=12)).isoformat()
    uplink, portal = shift["availability"]
    assert uplink["percent"] == round(11.5 / 12 * 100, 3)
    assert portal["percent"] == 100.0
    assert portal["maintenance_seconds"] == 0.0
    assert shift["incidents"]["total"] == 1
    assert shift["incidents"]["acknowledge_median"] == 180.0
    assert shift["incidents"]["resolve_p90"] == 1800.0
    assert shift["detections"] == {
        "total": 3,
        "by_category": {"ddos": 2, "defacement": 1},
        "top_sources": [
            {"address": "203.0.113.7", "count": 2},
            {"address": "203.0.113.5", "count": 1},
        ],
    }
    assert shift["directives"] == {
        "issued": 1,
        "completed": 0,
        "completed_late": 0,
        "overdue": 0,
        "open": 1,
    }
    assert shift["duty"] == {
        "check_ins": 2,
        "checked_in": 1,
        "missed": 1,
        "check_in_percent": 50.0,
        "gap_seconds": 1 * HOUR,
        "coverage_percent": round((1 - 1 / 12) * 100, 2),
        "handovers": 1,
    }
    _expected_common(shift)

    for kind, figures, title in (
        ("shift", shift, "Shift report"),
        ("final", final, "Final evaluation report"),
    ):
        pdf = render_report(
            figures, file_format="pdf", language="en", templates_dir=None, generated_at=now
        )
        text = _pdf_text(pdf, tmp_path, f"{kind}.pdf")
        assert f"{title}: National Congress" in text
        detections = figures["detections"]
        assert f"Security detections Total: {detections['total']}" in text
        assert "203.0.113.5" in text
        assert "198.51.100.9" not in text
        duty = figures["duty"]
        assert (
            f"Check-ins: {duty['checked_in']}/{duty['check_ins']} ({duty['check_in_percent']:g}%)"
            in text
        )
        assert f"Coverage: {duty['coverage_percent']:g}%" in text
        assert f"Handovers: {duty['handovers']}" in text
        assert "Uplink flapped at 10:00" in text
