"""The duty worker announces coverage gaps a day ahead, once, and survives bad input."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from garrison.audit.actor import Actor
from garrison.bus.events import decode_event
from garrison.clock import ManualClock
from garrison.duty.events import CheckInMissed, CoverageGapDetected
from garrison.duty.models import GapAlertRecord
from garrison.duty.service import add_override
from garrison.duty.worker import DutyWorker
from garrison.runtime.context import AppContext
from tests.duty.factories import load_written, write_config

# The NOC rotation starts only on 2026-06-02: a gap from the window's start (2026-05-31
# 07:00 in Hà Nội, 00:00 UTC) to 2026-06-02 07:00; the command post is covered.
LATE_NOC = """
duty:
  rotations:
    - {post: command, shift_length: 12, handoff_time: "07:00", people: [delta, echo]}
    - {post: noc, shift_length: 8, handoff_time: "07:00", people: [alpha], start: 2026-06-02}
"""
GAP_START = datetime(2026, 5, 31, tzinfo=UTC)


async def test_a_gap_is_announced_once_when_it_comes_within_24_hours(
    context: AppContext, config_path: Path, clock: ManualClock
) -> None:
    write_config(config_path, LATE_NOC)
    gaps = context.bus.subscribe(CoverageGapDetected, consumer="test")
    clock.advance((datetime(2026, 5, 29, 23, 59, tzinfo=UTC) - clock.now()).total_seconds())
    worker = DutyWorker(context)
    assert (await worker.run_once()).gaps == []  # 24 h and a minute ahead
    clock.advance(60)
    announced = (await worker.run_once()).gaps
    assert [(g.post_id, g.starts_at, g.ends_at) for g in announced] == [
        ("noc", GAP_START, datetime(2026, 6, 2, tzinfo=UTC))
    ]
    event = await asyncio.wait_for(anext(aiter(gaps)), 5)
    assert event.post_id == "noc"
    assert event.unit_id == "comms"
    assert event.previous_person_id is None
    assert decode_event(event.to_json()) == event
    # Later rounds, and a worker started afresh, stay quiet about it.
    clock.advance(3600)
    assert (await worker.run_once()).gaps == []
    assert (await DutyWorker(context).run_once()).gaps == []
    async with context.sessions() as session:
        alerts = (await session.scalars(select(GapAlertRecord))).all()
    assert [(a.post_id, a.alerted_at) for a in alerts] == [
        ("noc", datetime(2026, 5, 30, tzinfo=UTC))
    ]
    await gaps.close()


async def test_a_gap_under_way_is_announced_at_once(context: AppContext, config_path: Path) -> None:
    write_config(config_path, LATE_NOC)
    found = (await DutyWorker(context).run_once()).gaps
    assert [gap.post_id for gap in found] == ["noc"]


async def test_a_broken_configuration_is_a_result_not_a_crash(
    context: AppContext, config_path: Path
) -> None:
    await asyncio.to_thread(config_path.write_text, "event: [not, a, mapping]\n", "utf-8")
    result = await DutyWorker(context).run_once()
    assert result.error is not None
    assert "event" in result.error
    assert result.missed == []
    assert result.gaps == []


async def test_without_a_configuration_the_worker_idles(context: AppContext) -> None:
    result = await DutyWorker(context, load_event=lambda: None).run_once()
    assert result.missed == []
    assert result.gaps == []
    assert result.error is None


async def test_the_events_cross_the_bus_as_json(context: AppContext) -> None:
    when = datetime(2026, 6, 1, 8, tzinfo=UTC)
    event = CheckInMissed(
        occurred_at=when,
        post_id="noc",
        person_id="bravo",
        shift_start=when,
        shift_end=when,
        due_at=when,
        commander_post_id="command",
        commander_person_id="delta",
    )
    subscription = context.bus.subscribe(CheckInMissed, consumer="test")
    await context.bus.publish(event)
    assert await asyncio.wait_for(anext(aiter(subscription)), 5) == event
    await subscription.close()


async def test_a_run_time_override_that_shortens_a_gap_makes_a_new_gap(
    context: AppContext, config_path: Path
) -> None:
    write_config(config_path, LATE_NOC)
    worker = DutyWorker(context)
    assert [gap.ends_at for gap in (await worker.run_once()).gaps] == [
        datetime(2026, 6, 2, tzinfo=UTC)
    ]
    async with context.sessions() as session:
        await add_override(
            session,
            config=load_written(config_path),
            post_id="noc",
            person_id="alpha",
            start=datetime(2026, 6, 1, 9, tzinfo=UTC),
            end=datetime(2026, 6, 2, tzinfo=UTC),
            reason="covers the night",
            actor=Actor.system("test"),
            at=context.clock.now(),
        )
        await session.commit()
    shorter = (await worker.run_once()).gaps
    assert [(gap.starts_at, gap.ends_at) for gap in shorter] == [
        (GAP_START, datetime(2026, 6, 1, 9, tzinfo=UTC))
    ]
