"""Detection injects go the way of real detections: their events through the detection
engine (failed SSH logins from a drill address reach the brute-force correlation; a named
rule matches an event), the findings stored as detection alerts marked with the drill,
announced on the bus, opened as drill incidents by the incident worker and linked to their
injects; leaders hear of them only when the plan allows; and the real figures of the
reports never count them."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import select

from garrison.auth.permissions import Role
from garrison.config import load_config
from garrison.detection.alerts.models import DetectionAlert
from garrison.detection.events import DetectionAlertRaised
from garrison.drills.models import DrillInjectRecord
from garrison.drills.service import drill_score, start_drill
from garrison.drills.worker import DrillWorker
from garrison.escalation.targets import TargetResolver
from garrison.incidents.events import IncidentOpened
from garrison.incidents.models import Incident
from garrison.incidents.outbox import commit_and_publish
from garrison.incidents.worker import IncidentWorker
from garrison.reports.service import report_figures
from garrison.runtime.context import AppContext
from tests.console.factories import browser_login
from tests.readiness.factories import TEST_ACTOR, WatchedClock, collecting, running
from tests.reports.scenario import SCENARIO

MINUTE = 60.0
BRUTE_FORCE = "c18234e8-ef83-49ef-8abf-c3a149821b38"  # garrison_brute_force
SCANNER = "c4820cae-eb65-4c9e-8382-47dfb046a179"  # Web vulnerability scanner
SECURITY_DRILL = """    - id: security
      name: Security drill
      notify_leadership: true
      injects:
        - offset_minutes: 5
          kind: detection
          title: SSH brute force (drill)
          category: unauthorised_access
          source_address: 203.0.113.77
          detection: {auth_failures: 12, account: admin, host: bastion}
          expected: {acknowledge_minutes: 5}
        - offset_minutes: 6
          kind: detection
          title: Scanner (drill)
          detection:
            rule: c4820cae-eb65-4c9e-8382-47dfb046a179
            event: {cs-user-agent: sqlmap/1.8, c-ip: 203.0.113.78, cs-method: GET,
                    cs-uri-stem: /, sc-status: 200}
            logsource: {category: webserver}
        - offset_minutes: 7
          kind: detection
          title: Nothing matches (drill)
          detection:
            rule: garrison_brute_force
            event: {message: all quiet}
"""


def _write(path: Path) -> Path:
    anchor = "          expected: {acknowledge_minutes: 5}\n"
    path.write_text(SCENARIO.replace(anchor, anchor + SECURITY_DRILL, 1), encoding="utf-8")
    return path


def _real_detection(at: object) -> DetectionAlert:
    return DetectionAlert(
        alert_id=str(uuid.uuid4()),
        fingerprint=uuid.uuid4().hex,
        rule_id=BRUTE_FORCE,
        rule_title="Brute force from one address",
        rule_level="high",
        rule_author="Garrison",
        rule_license="LicenseRef-Garrison",
        kind="correlation",
        category="unauthorised_access",
        source="syslog-udp",
        summary="seen",
        source_address="198.51.100.20",
        host=None,
        matched_fields={},
        events=[],
        occurred_at=at,
        first_seen_at=at,
        last_seen_at=at,
        count=3,
        is_drill=False,
    )


async def _records(context: AppContext, run_id: int) -> list[DrillInjectRecord]:
    async with context.sessions() as session:
        query = (
            select(DrillInjectRecord)
            .where(DrillInjectRecord.run_id == run_id)
            .order_by(DrillInjectRecord.position)
        )
        return list((await session.scalars(query)).all())


async def _until_linked(context: AppContext, run_id: int, count: int) -> list[DrillInjectRecord]:
    async with asyncio.timeout(10):
        while True:
            records = await _records(context, run_id)
            if sum(1 for r in records if r.incident_id is not None) >= count:
                return records
            await asyncio.sleep(0.01)


async def test_detection_injects_go_through_the_engine_the_store_and_the_bus(
    context: AppContext, clock: WatchedClock, config_path: Path, client: httpx.AsyncClient
) -> None:
    config = load_config(_write(config_path)).config
    start = clock.now()
    async with context.sessions() as session:
        session.add(_real_detection(start + timedelta(minutes=1)))
        await session.commit()
    async with (
        collecting(context.bus, DetectionAlertRaised) as raised,
        collecting(context.bus, IncidentOpened) as opened,
        running(IncidentWorker(context)),
        running(DrillWorker(context)),
    ):
        await clock.idle()
        async with context.sessions() as session:
            run = await start_drill(
                session, config=config, plan_id="security", actor=TEST_ACTOR, now=start
            )
            await commit_and_publish(session, context.bus)
        await clock.advance_and_settle(5 * MINUTE)
        await clock.advance_and_settle(1 * MINUTE)
        await clock.advance_and_settle(1 * MINUTE)
        brute, scanner = await raised.wait_for(2)
        await opened.wait_for(2)
        records = await _until_linked(context, run.id, 2)

    # The failed logins reached the brute-force correlation of the real rule pack.
    assert (brute.rule_id, brute.rule_level, brute.rule_author) == (BRUTE_FORCE, "high", "Garrison")
    assert (brute.source_address, brute.category) == ("203.0.113.77", "unauthorised_access")
    assert brute.is_drill
    assert scanner.is_drill
    assert brute.drill == {
        "run_id": run.id,
        "inject": 1,
        "announced": True,
        "notify_leadership": True,
    }
    assert scanner.rule_id == SCANNER
    assert scanner.source_address == "203.0.113.78"
    assert [r.error for r in records[:2]] == [None, None]
    assert records[2].incident_id is None
    assert records[2].error == "The drill's events matched no rule garrison_brute_force."

    async with context.sessions() as session:
        stored = (
            await session.scalars(
                select(DetectionAlert)
                .where(DetectionAlert.is_drill.is_(True))
                .order_by(DetectionAlert.drill_inject)
            )
        ).all()
        assert [(a.drill_run_id, a.drill_inject) for a in stored] == [(run.id, 1), (run.id, 2)]
        assert [a.alert_id for a in stored] == [brute.alert_id, scanner.alert_id]
        # The stored events are the parsed sshd lines, as syslog would have given them.
        fields = stored[0].events[-1]["fields"]
        assert (fields["source_address"], fields["account"]) == ("203.0.113.77", "admin")
        assert stored[0].host == "bastion"
        # Drill fingerprints never meet real ones (no deduplication into a real alert).
        real = (
            await session.scalars(select(DetectionAlert).where(DetectionAlert.is_drill.is_(False)))
        ).one()
        assert real.count == 3
        assert real.fingerprint not in {a.fingerprint for a in stored}

        incidents = [await session.get_one(Incident, r.incident_id) for r in records[:2]]
        assert all(i.is_drill for i in incidents)
        assert incidents[0].title.startswith("[DRILL] Brute force from one address")
        assert incidents[0].category == "unauthorised_access"
        # The plan allows leaders: the drill detail travels to the incident's alert.
        resolver = TargetResolver(session, config=config, incident=incidents[0], at=clock.now())
        assert await resolver.leadership_allowed()

        score = await drill_score(session, run_id=run.id)
        assert [s.seconds["detect"] for s in score.injects[:2]] == [0.0, 0.0]
        assert score.injects[2].seconds["detect"] is None

        now = clock.now() + timedelta(minutes=1)
        figures = await report_figures(session, config=config, kind="daily", now=now, day=None)
    # Real figures: only the real detection; the drill's two are counted nowhere there.
    assert figures["detections"] == {
        "total": 3,
        "by_category": {"unauthorised_access": 3},
        "top_sources": [{"address": "198.51.100.20", "count": 3}],
    }
    assert figures["incidents"]["total"] == 0
    assert figures["drill_incidents"]["total"] == 2

    # The security page shows the drill's detections with the drill badge.
    await browser_login(context, client, "sam", Role.COMMANDER)
    page = await client.get("/security")
    assert page.status_code == 200
    assert page.text.count('<span class="tag">Drill</span>') == 2
    api = await client.get(f"/api/v1/detections/{brute.alert_id}")
    assert api.status_code == 200
    assert (api.json()["is_drill"], api.json()["drill_run_id"]) == (True, run.id)
