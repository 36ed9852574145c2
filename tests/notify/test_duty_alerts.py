"""Duty events reach the people who must act: a missed check-in the shift commander, a coverage
gap the unit's leader."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from garrison.clock import ManualClock
from garrison.duty.events import CoverageGapDetected
from garrison.duty.worker import DutyWorker
from garrison.runtime.context import AppContext
from tests.escalation.factories import advance, loader, notification_worker, notifications, running
from tests.notify.sinks import SmtpSink


async def test_a_missed_check_in_is_mailed_to_the_shift_commander_on_duty(
    context: AppContext, clock: ManualClock, config_path: Path, smtp: SmtpSink
) -> None:
    duty = DutyWorker(context, load_event=lambda: loader(config_path))
    async with running(context, notification_worker(context, config_path)):
        # Alpha's NOC shift started at 08:00 UTC; the grace period is 15 minutes.
        advance(clock, minutes=16)
        found = await duty.run_once()
        assert [(m.post_id, m.person_id) for m in found.missed] == [
            ("command", "delta"),
            ("noc", "alpha"),
        ]
        mails = await smtp.wait_for(2)
    assert sorted(m.recipients[0] for m in mails) == ["delta@congress.example"] * 2
    subjects = sorted(str(m.message["Subject"]) for m in mails)
    assert subjects == [
        "Missed check-in at post Network operations centre",
        "Missed check-in at post Shift command",
    ]
    assert any("Alpha has not confirmed presence" in m.text for m in mails)
    kinds = [(n.kind, n.recipient_id) for n in await notifications(context)]
    assert kinds == [("check_in_missed", "delta"), ("check_in_missed", "delta")]


async def test_a_coverage_gap_is_mailed_to_the_unit_leader_once(
    context: AppContext, config_path: Path, smtp: SmtpSink
) -> None:
    gap = CoverageGapDetected(
        occurred_at=context.clock.now(),
        post_id="noc",
        starts_at=datetime(2026, 6, 2, 0, 0, tzinfo=UTC),
        ends_at=datetime(2026, 6, 2, 8, 0, tzinfo=UTC),
        unit_id="comms",
        previous_person_id="bravo",
    )
    worker = notification_worker(context, config_path)
    async with running(context, worker):
        await context.bus.publish(gap)
        [mail] = await smtp.wait_for(1)
    # The same gap announced again is not queued again.
    await worker.on_coverage_gap(gap)
    assert mail.recipients == ("lima@congress.example",)
    assert mail.message["Subject"] == "Nobody on duty at post Network operations centre"
    assert "2026-06-02 07:00 +07" in mail.text
    assert "On duty just before the gap: Bravo." in mail.text
    assert [n.kind for n in await notifications(context)] == ["coverage_gap"]
