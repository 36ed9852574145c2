"""Durable timers: the running workers, stopped and started again over the same database, go on
exactly where they stood: no step skipped, no page sent twice."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from garrison.clock import ManualClock
from garrison.runtime.context import AppContext
from tests.escalation.factories import (
    advance,
    escalation_worker,
    notification_worker,
    open_test_incident,
    running,
    timeline,
)
from tests.notify.sinks import SmtpSink


async def test_workers_started_again_resume_the_escalation_where_it_stood(
    context: AppContext, clock: ManualClock, config_path: Path, smtp: SmtpSink
) -> None:
    async with running(
        context, notification_worker(context, config_path), escalation_worker(context, config_path)
    ):
        incident_id = await open_test_incident(context)
        await smtp.wait_for(1)

    # Down for 16 minutes: levels 2 (due at +5) and 3 (due at +15) are both overdue.
    advance(clock, minutes=16)
    async with running(
        context, notification_worker(context, config_path), escalation_worker(context, config_path)
    ):
        mails = await smtp.wait_for(4)
        advance(clock, minutes=14)  # +30: the second round starts
        mails = await smtp.wait_for(5)

    received = Counter(mail.recipients[0].split("@")[0] for mail in mails)
    assert received == {"alpha": 2, "echo": 1, "foxtrot": 1, "lima": 1}
    steps = [
        (entry.data["level"], entry.data["round"], entry.data["due_at"])
        for entry in await timeline(context, incident_id, "escalation")
        if entry.data["event"] == "step"
    ]
    assert steps == [
        (1, 1, "2026-06-01T08:00:00+00:00"),
        (2, 1, "2026-06-01T08:05:00+00:00"),
        (3, 1, "2026-06-01T08:15:00+00:00"),
        (1, 2, "2026-06-01T08:30:00+00:00"),
    ]


async def test_an_incident_opened_while_escalation_was_down_is_picked_up_at_start(
    context: AppContext, config_path: Path, smtp: SmtpSink
) -> None:
    incident_id = await open_test_incident(context)  # nobody listens to the bus yet
    async with running(
        context, notification_worker(context, config_path), escalation_worker(context, config_path)
    ):
        [mail] = await smtp.wait_for(1)
    assert mail.recipients == ("alpha@congress.example",)
    assert f"Incident #{incident_id}" in str(mail.message["Subject"])
