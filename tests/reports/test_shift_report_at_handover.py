"""The shift report at handover: when the outgoing person writes the note, the shift report
worker (on the manual clock, never the request) writes the report of that post and stretch
once, stores its figures, HTML and PDF, emails them through a real SMTP server (aiosmtpd on
127.0.0.1) and links it on the note; a stretch that ends without a note is reported when its
handover grace is over. Figures are checked against values computed here from the recorded
incidents; downloads are checked with their permissions."""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta
from email.header import decode_header, make_header
from pathlib import Path

import httpx
import trustme
from sqlalchemy import select

from garrison.auth.permissions import Role
from garrison.config import EventConfig, load_config
from garrison.duty.handover import HandoverContent, write_handover
from garrison.duty.models import CheckInRecord
from garrison.duty.service import load_plan
from garrison.incidents.service import NewIncident, open_incident
from garrison.incidents.transitions import acknowledge_incident, resolve_incident
from garrison.incidents.vocabulary import Category, Classification, Severity
from garrison.reports.models import ShiftReport
from garrison.reports.shift_worker import ShiftReportWorker, ShiftReportWritten
from garrison.reports.worker import ReportDelivered
from garrison.runtime.context import AppContext
from tests.auth.factories import bearer, make_token, make_user
from tests.console.factories import browser_login
from tests.notify.sinks import smtp_sink, write_ca
from tests.readiness.factories import TEST_ACTOR, WatchedClock, collecting, running
from tests.reports.scenario import SCENARIO

API = "/api/v1"
POSTS = "  posts:\n    - {id: noc, name: NOC desk, unit: comms}\nservices:"
# Echo holds the NOC desk 06:00-18:00 (Hanoi) on the first day, then Lima 18:00-06:00.
DUTY = """duty:
  rotations:
    - {post: noc, shift_length: 12, handoff_time: "06:00", people: [echo, lima], start: 2026-06-01}
"""
# 2026-06-01 06:00 in Hanoi.
SHIFT_START = datetime.fromisoformat("2026-05-31T23:00:00+00:00")
SHIFT_END = SHIFT_START + timedelta(hours=12)


def _write(path: Path, port: int, ca_file: Path) -> EventConfig:
    path.write_text(
        SCENARIO.replace("services:", POSTS, 1)
        + "  recipients: [lima, echo]\n  language: en\n"
        + DUTY
        + "notifications:\n  email:\n"
        + f"    host: 127.0.0.1\n    port: {port}\n    security: starttls\n"
        + "    username: garrison\n    password: relay-password-1\n"
        + f"    sender: garrison@example.org\n    ca_file: {ca_file}\n",
        encoding="utf-8",
    )
    return load_config(path).config


async def _incident(
    context: AppContext,
    at: datetime,
    severity: Severity,
    ack: float | None,
    resolve: float | None,
    *,
    drill: bool = False,
) -> None:
    async with context.sessions() as session:
        incident = await open_incident(
            session,
            new=NewIncident(
                title="Incident",
                severity=severity,
                category=Category.AVAILABILITY if severity == Severity.SEV1 else Category.MALWARE,
                classification=Classification.INTERNAL,
                is_drill=drill,
            ),
            actor=TEST_ACTOR,
            now=at,
        )
        if ack is not None:
            await acknowledge_incident(
                session, incident=incident, actor=TEST_ACTOR, now=at + timedelta(minutes=ack)
            )
        if resolve is not None:
            await resolve_incident(
                session,
                incident=incident,
                actor=TEST_ACTOR,
                now=at + timedelta(minutes=resolve),
                resolution_summary="fixed",
            )
        await session.commit()


# (opened at, severity, minutes to acknowledge, minutes to resolve, drill)
INCIDENTS = [
    (SHIFT_START - timedelta(hours=1), Severity.SEV3, 5.0, 50.0, False),  # before the shift
    (SHIFT_START + timedelta(hours=1), Severity.SEV1, 4.0, 20.0, False),
    (SHIFT_START + timedelta(hours=3), Severity.SEV2, 10.0, None, False),
    (SHIFT_START + timedelta(hours=5), Severity.SEV2, 2.0, 90.0, False),
    (SHIFT_START + timedelta(hours=6), Severity.SEV1, 1.0, 3.0, True),  # a drill's
]


def _check_in(post: str, person: str, due: datetime, *, kept: bool) -> CheckInRecord:
    return CheckInRecord(
        post_id=post,
        person_id=person,
        shift_start=due,
        shift_end=due + timedelta(hours=12),
        due_at=due,
        checked_in_at=due if kept else None,
        missed_at=None if kept else due + timedelta(minutes=15),
    )


async def test_a_handover_writes_stores_links_and_emails_one_shift_report(
    context: AppContext,
    clock: WatchedClock,
    config_path: Path,
    tmp_path: Path,
    client: httpx.AsyncClient,
) -> None:
    ca = trustme.CA()
    async with smtp_sink(ca) as sink:
        config = _write(config_path, sink.port, write_ca(ca, tmp_path))
        for opened, severity, ack, resolve, drill in INCIDENTS:
            await _incident(context, opened, severity, ack, resolve, drill=drill)
        async with context.sessions() as session:
            session.add_all(
                [
                    _check_in("noc", "echo", SHIFT_START, kept=True),
                    # Another post's missed check-in: not this post's report.
                    _check_in("radio", "lima", SHIFT_START, kept=False),
                ]
            )
            await session.commit()
        handed_over = SHIFT_END - timedelta(minutes=10)  # 17:50 in Hanoi
        async with (
            collecting(context.bus, ShiftReportWritten) as written,
            collecting(context.bus, ReportDelivered) as delivered,
            running(ShiftReportWorker(context)),
        ):
            await clock.advance_and_settle((handed_over - clock.now()).total_seconds() - 1)
            assert written.events == []  # nothing was handed over yet
            async with context.sessions() as session:
                note = await write_handover(
                    session,
                    plan=await load_plan(session, config=config),
                    post_id="noc",
                    person_id="echo",
                    content=HandoverContent(remarks="Uplink watched"),
                    grace=timedelta(minutes=config.duty.handover_grace_minutes),
                    actor=TEST_ACTOR,
                    at=clock.now() + timedelta(seconds=1),
                )
                await session.commit()
            await clock.advance_and_settle(30)  # the worker's next look
            (event,) = await written.wait_for(1)
            (outcome,) = await delivered.wait_for(1)
            (mail,) = await sink.wait_for(1)
            # The shift's end and its grace pass: the stretch has its note, no second report.
            await clock.advance_and_settle(3600)
        # A restart: a new worker finds nothing to write and nothing to send.
        assert await ShiftReportWorker(context).run_once() == []
        assert len(sink.messages) == 1

    async with context.sessions() as session:
        (report,) = (await session.scalars(select(ShiftReport))).all()
    assert (event.report_id, event.post_id, event.person_id) == (report.id, "noc", "echo")
    assert event.handover_id == note.id == report.handover_id
    # The window: the stretch, up to when the report was written just after the note.
    assert handed_over < report.generated_at <= handed_over + timedelta(seconds=30)
    assert (report.since, report.until) == (SHIFT_START, report.generated_at)
    assert (report.shift_start, report.shift_end) == (SHIFT_START, SHIFT_END)

    # The figures, computed here from the incidents recorded above.
    chosen = [i for i in INCIDENTS if not i[4] and SHIFT_START <= i[0] < report.until]
    acks = [i[2] * 60 for i in chosen if i[2] is not None]
    resolves = [i[3] * 60 for i in chosen if i[3] is not None]
    figures = report.figures
    assert figures["shift"] == {"post": "noc", "person": "echo"}
    assert figures["incidents"]["total"] == len(chosen) == 3
    assert figures["incidents"]["open"] == 1
    assert figures["incidents"]["by_severity"] == {"sev1": 1, "sev2": 2}
    assert figures["incidents"]["acknowledge_median"] == statistics.median(acks)
    assert figures["incidents"]["resolve_median"] == statistics.median(resolves)
    assert figures["incidents"]["resolve_p90"] == max(resolves)
    assert figures["drill_incidents"]["total"] == 1
    assert figures["duty"]["check_ins"] == 1  # the NOC's only
    assert figures["duty"]["checked_in"] == 1
    assert figures["duty"]["handovers"] == 1
    assert [h["remarks"] for h in figures["handovers"]] == ["Uplink watched"]

    # Emailed once, in the event's report language, both files attached as stored.
    assert tuple(outcome.sent_to) == ("lima@example.org",)
    assert tuple(outcome.without_address) == ("echo",)
    assert (report.sent_to, report.delivery_error) == (["lima@example.org"], None)
    assert mail.recipients == ("lima@example.org",)
    subject = str(make_header(decode_header(mail.message["Subject"])))
    assert subject == "Shift report: National Congress, 2026-06-01"
    parts = {
        name: part.get_payload(decode=True)
        for part in mail.message.walk()
        if (name := part.get_filename()) is not None
    }
    assert sorted(parts) == ["shift-noc-20260601-0600.html", "shift-noc-20260601-0600.pdf"]
    assert parts["shift-noc-20260601-0600.pdf"] == report.pdf
    assert report.pdf.startswith(b"%PDF")
    assert '<html lang="en">' in report.html.decode()

    # Downloads: report readers only; the PDF as emailed.
    await make_user(context, "dana", role=Role.DUTY_OFFICER)
    await make_user(context, "olga", role=Role.OBSERVER)
    officer = bearer(await make_token(context, "dana"))
    observer = bearer(await make_token(context, "olga"))
    url = f"{API}/reports/shifts/{report.id}"
    assert (await client.get(url)).status_code == 401
    assert (await client.get(url, headers=observer)).status_code == 403
    assert (await client.get(f"{API}/reports/shifts", headers=observer)).status_code == 403
    listed = await client.get(f"{API}/reports/shifts", headers=officer, params={"post": "noc"})
    assert listed.status_code == 200
    assert [(r["id"], r["handover_id"]) for r in listed.json()] == [(report.id, note.id)]
    pdf = await client.get(url, headers=officer, params={"format": "pdf"})
    assert (pdf.status_code, pdf.content) == (200, report.pdf)
    assert pdf.headers["content-disposition"] == (
        'attachment; filename="shift-noc-20260601-0600.pdf"'
    )
    html = await client.get(url, headers=officer)
    assert "Shift report: National Congress" in html.text
    assert "Post: noc" in html.text
    data = await client.get(url, headers=officer, params={"format": "json"})
    assert data.json()["incidents"]["total"] == 3
    assert (await client.get(f"{API}/reports/shifts/999", headers=officer)).status_code == 404

    # The console's duty page links the report on the handover note.
    await browser_login(context, client, "sam", Role.DUTY_OFFICER)
    page = await client.get("/duty")
    assert page.status_code == 200
    assert f'href="/api/v1/reports/shifts/{report.id}?format=pdf"' in page.text


async def test_a_stretch_without_a_note_is_reported_when_its_grace_is_over(
    context: AppContext, clock: WatchedClock, config_path: Path, tmp_path: Path
) -> None:
    ca = trustme.CA()
    async with smtp_sink(ca) as sink:
        config = _write(config_path, sink.port, write_ca(ca, tmp_path))
        await _incident(context, SHIFT_START + timedelta(hours=2), Severity.SEV2, 3.0, None)
        grace = timedelta(minutes=config.duty.handover_grace_minutes)
        async with (
            collecting(context.bus, ShiftReportWritten) as written,
            running(ShiftReportWorker(context)),
        ):
            # The grace after the shift's end is not over yet: a note could still come.
            await clock.advance_and_settle((SHIFT_END + grace - clock.now()).total_seconds() - 1)
            assert written.events == []
            await clock.advance_and_settle(30)
            (event,) = await written.wait_for(1)
            await sink.wait_for(1)
            await clock.advance_and_settle(30)
        assert len(written.events) == 1
    async with context.sessions() as session:
        (report,) = (await session.scalars(select(ShiftReport))).all()
    assert (event.handover_id, report.handover_id) == (None, None)
    assert (report.person_id, report.since, report.until) == ("echo", SHIFT_START, SHIFT_END)
    assert report.figures["incidents"]["total"] == 1
    assert report.figures["incidents"]["open"] == 1
    assert report.figures["duty"]["handovers"] == 0
