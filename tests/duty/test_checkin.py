"""Check-in at the start of a shift, and the missed check-in the duty worker reports.

At the test clock (2026-06-01 15:00 in Hà Nội) Bravo's NOC shift starts; Delta has held
the command post since 07:00.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from garrison.bus.abc import Subscription
from garrison.clock import ManualClock
from garrison.duty.events import CheckInMissed
from garrison.duty.worker import DutyWorker
from garrison.runtime.context import AppContext
from tests.auth.factories import audit_actions
from tests.duty.factories import person_headers

API = "/api/v1/duty"
WAIT_SECONDS = 5.0


@pytest.fixture
async def missed(context: AppContext) -> AsyncIterator[Subscription[CheckInMissed]]:
    subscription = context.bus.subscribe(CheckInMissed, consumer="test")
    yield subscription
    await subscription.close()


async def _next(subscription: Subscription[CheckInMissed]) -> CheckInMissed:
    return await asyncio.wait_for(anext(aiter(subscription)), WAIT_SECONDS)


async def test_the_person_on_duty_checks_in_once(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    bravo = await person_headers(context, "bravo")
    response = await client.post(f"{API}/checkin", json={"post_id": "noc"}, headers=bravo)
    assert response.status_code == 200, response.text
    record = response.json()
    assert record["status"] == "present"
    assert (record["person_id"], record["shift_start"]) == ("bravo", "2026-06-01T08:00:00Z")
    assert record["due_at"] == "2026-06-01T08:15:00Z"
    again = await client.post(f"{API}/checkin", json={"post_id": "noc"}, headers=bravo)
    assert again.json()["id"] == record["id"]
    entries = [e.action for e in await audit_actions(context) if e.target_type == "duty_checkin"]
    assert entries == ["duty.checkin"]


async def test_one_may_check_in_early_but_not_for_someone_else(
    context: AppContext, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    charlie = await person_headers(context, "charlie")
    too_early = await client.post(f"{API}/checkin", json={"post_id": "noc"}, headers=charlie)
    assert too_early.status_code == 409
    assert "not on duty at post noc" in too_early.json()["detail"]
    clock.advance(7 * 3600 + 40 * 60)  # 22:40, twenty minutes before Charlie's night shift
    early = await client.post(f"{API}/checkin", json={"post_id": "noc"}, headers=charlie)
    assert early.status_code == 200
    assert early.json()["shift_start"] == "2026-06-01T16:00:00Z"
    unknown = await client.post(f"{API}/checkin", json={"post_id": "radar"}, headers=charlie)
    assert unknown.status_code == 404


async def test_a_missed_check_in_goes_to_the_shift_commander_once(
    context: AppContext,
    client: httpx.AsyncClient,
    clock: ManualClock,
    missed: Subscription[CheckInMissed],
) -> None:
    delta = await person_headers(context, "delta")
    await client.post(f"{API}/checkin", json={"post_id": "command"}, headers=delta)
    worker = DutyWorker(context)
    assert (await worker.run_once()).missed == []  # within the 15 minutes of grace
    clock.advance(16 * 60)
    found = await worker.run_once()
    assert [(event.post_id, event.person_id) for event in found.missed] == [("noc", "bravo")]
    event = await _next(missed)
    assert event.person_id == "bravo"
    assert event.commander_post_id == "command"
    assert event.commander_person_id == "delta"
    assert (event.unit_id, event.unit_leader_id) == ("comms", "lima")
    assert event.due_at.isoformat() == "2026-06-01T08:15:00+00:00"
    assert event.occurred_at == clock.now()
    # Once: neither the next round nor a restarted worker reports it again.
    assert (await worker.run_once()).missed == []
    assert (await DutyWorker(context).run_once()).missed == []
    assert context.bus.published == 1  # type: ignore[attr-defined]

    listed = await client.get(f"{API}/checkins", params={"status": "missed"}, headers=delta)
    assert [(c["person_id"], c["status"]) for c in listed.json()["check_ins"]] == [
        ("bravo", "missed")
    ]
    actions = [e.action for e in await audit_actions(context) if e.target_type == "duty_checkin"]
    assert actions == ["duty.checkin", "duty.checkin.missed"]


async def test_a_late_check_in_still_counts_and_is_marked_late(
    context: AppContext, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    bravo = await person_headers(context, "bravo")
    clock.advance(20 * 60)
    await DutyWorker(context).run_once()
    late = await client.post(f"{API}/checkin", json={"post_id": "noc"}, headers=bravo)
    assert late.status_code == 200
    assert late.json()["status"] == "late"
    assert late.json()["missed_at"] == "2026-06-01T08:20:00Z"
    assert late.json()["checked_in_at"] == "2026-06-01T08:20:00Z"
    by_status = await client.get(f"{API}/checkins", params={"status": "late"}, headers=bravo)
    assert len(by_status.json()["check_ins"]) == 1
    present = await client.get(f"{API}/checkins", params={"status": "present"}, headers=bravo)
    assert present.json()["check_ins"] == []


async def test_the_worker_loop_reports_as_the_clock_moves(
    context: AppContext, clock: ManualClock, missed: Subscription[CheckInMissed]
) -> None:
    worker = DutyWorker(context, interval=60)
    started = asyncio.Event()
    task = asyncio.create_task(worker.run(started.set))
    try:
        await asyncio.wait_for(started.wait(), WAIT_SECONDS)
        # The command post's check-in (07:00) is long overdue: reported on the first round.
        first = await _next(missed)
        assert (first.post_id, first.person_id) == ("command", "delta")
        for _minute in range(16):
            clock.advance(60)
        second = await _next(missed)
        assert (second.post_id, second.person_id) == ("noc", "bravo")
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
