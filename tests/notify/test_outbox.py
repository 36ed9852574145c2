"""The outbox: retries with backoff, fallback to the next channel, exactly once across a crash."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from garrison.clock import ManualClock
from garrison.notify.channels.base import Channel, OutgoingMessage
from garrison.runtime.context import AppContext
from tests.escalation.factories import (
    Endpoints,
    advance,
    attempts,
    deliveries,
    escalation_worker,
    notification_worker,
    notifications,
    open_test_incident,
    timeline,
    write_scenario,
)
from tests.notify.sinks import HttpSink, SmtpSink


async def test_smtp_down_is_retried_with_backoff_then_the_webhook_takes_over(
    context: AppContext,
    clock: ManualClock,
    config_path: Path,
    endpoints: Endpoints,
    smtp: SmtpSink,
    receiver: HttpSink,
) -> None:
    write_scenario(config_path, endpoints, webhook_people=("alpha",))
    await smtp.stop()
    incident_id = await open_test_incident(context)
    await escalation_worker(context, config_path).run_once()
    worker = notification_worker(context, config_path)

    assert await worker.deliver_once() == 1
    assert await worker.deliver_once() == 0  # the retry is not due yet
    advance(clock, seconds=10)
    assert await worker.deliver_once() == 1
    advance(clock, seconds=19)
    assert await worker.deliver_once() == 0
    advance(clock, seconds=1)
    assert await worker.deliver_once() == 1
    # Three failures on email: the webhook is tried at once.
    assert await worker.deliver_once() == 1

    [request] = await receiver.wait_for(1)
    assert request.target == "/hooks/alpha"
    assert smtp.messages == []
    entries = [e.data for e in await timeline(context, incident_id, "notification")]
    assert [(e["channel"], e["result"], e["attempt"]) for e in entries] == [
        ("email", "retrying", 1),
        ("email", "retrying", 2),
        ("email", "falling_back", 3),
        ("webhook", "delivered", 1),
    ]
    assert "Connect call failed" in entries[0]["error"]
    start = context.clock.now() - timedelta(seconds=30)
    assert entries[0]["next_attempt_at"] == (start + timedelta(seconds=10)).isoformat()
    assert entries[1]["next_attempt_at"] == (start + timedelta(seconds=30)).isoformat()
    assert entries[2]["fallback"] == "webhook"
    [notification] = await notifications(context, incident_id)
    assert (notification.status, notification.delivered_channel) == ("delivered", "webhook")
    assert [(a.outcome, a.number) for a in await attempts(context)] == [
        ("failed", 1),
        ("failed", 2),
        ("failed", 3),
        ("sent", 1),
    ]


async def test_a_refusal_is_not_retried_and_the_last_channel_failing_fails_the_notification(
    context: AppContext,
    clock: ManualClock,
    config_path: Path,
    endpoints: Endpoints,
    receiver: HttpSink,
) -> None:
    write_scenario(
        config_path,
        endpoints,
        webhook_people=("alpha",),
        notifications_extra="  people:\n    - {person: alpha, channels: [webhook, sms]}\n",
    )
    receiver.statuses = [403, 503, 503, 503]
    incident_id = await open_test_incident(context)
    await escalation_worker(context, config_path).run_once()
    worker = notification_worker(context, config_path)
    await worker.deliver_once()  # webhook: 403, permanent: straight to SMS
    await worker.deliver_once()  # SMS: 503
    advance(clock, seconds=10)
    await worker.deliver_once()
    advance(clock, seconds=20)
    await worker.deliver_once()

    results = [e.data["result"] for e in await timeline(context, incident_id, "notification")]
    assert results == ["falling_back", "retrying", "retrying", "failed"]
    [notification] = await notifications(context, incident_id)
    assert notification.status == "failed"
    assert [d.status for d in await deliveries(context)] == ["failed", "failed"]


class SimulatedCrash(BaseException):
    """The process dies: nothing after this point runs (not an Exception, so nothing catches it)."""


class CrashAfterSending:
    """Sends for real, then dies before the outcome can be recorded."""

    def __init__(self, inner: Channel) -> None:
        self.inner = inner
        self.kind = inner.kind

    async def send(self, message: OutgoingMessage, *, address: str) -> None:
        await self.inner.send(message, address=address)
        raise SimulatedCrash


async def test_a_crash_between_sending_and_recording_never_sends_twice(
    context: AppContext, clock: ManualClock, config_path: Path, smtp: SmtpSink
) -> None:
    incident_id = await open_test_incident(context)
    escalation = escalation_worker(context, config_path)
    await escalation.run_once()
    crashing = notification_worker(context, config_path)
    crashing._wrap_channel = CrashAfterSending
    with pytest.raises(SimulatedCrash):
        await crashing.deliver_once()
    assert len(await smtp.wait_for(1)) == 1
    [delivery] = await deliveries(context)
    assert delivery.status == "sending"

    # A new worker over the same database, after the dead one's lease ran out.
    restarted = notification_worker(context, config_path)
    assert await restarted.deliver_once() == 0
    advance(clock, minutes=2)
    assert await restarted.deliver_once() == 0
    [delivery] = await deliveries(context)
    assert delivery.status == "in_doubt"
    assert [e.data["result"] for e in await timeline(context, incident_id, "notification")] == [
        "in_doubt"
    ]
    # Escalation goes on: the next level is paged once, the first never again.
    advance(clock, minutes=3)
    await escalation.run_once()
    assert await restarted.deliver_once() == 2
    mails = await smtp.wait_for(3)
    assert sorted(mail.recipients[0] for mail in mails) == [
        "alpha@congress.example",
        "echo@congress.example",
        "foxtrot@congress.example",
    ]
    assert [n.status for n in await notifications(context, incident_id)] == [
        "in_doubt",
        "delivered",
        "delivered",
    ]
