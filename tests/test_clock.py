from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from garrison.clock import ManualClock, SystemClock

START = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


def test_system_clock_is_timezone_aware_utc() -> None:
    assert SystemClock().now().tzinfo is UTC


def test_manual_clock_refuses_naive_start() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        ManualClock(datetime(2026, 6, 1))  # noqa: DTZ001


async def test_sleepers_wake_only_when_their_time_is_reached() -> None:
    clock = ManualClock(START)
    early = asyncio.create_task(clock.sleep(10))
    late = asyncio.create_task(clock.sleep(60))
    await asyncio.sleep(0)
    clock.advance(9)
    await asyncio.sleep(0)
    assert not early.done()
    clock.advance(1)
    await asyncio.wait_for(early, timeout=1)
    assert not late.done()
    clock.advance(50)
    await asyncio.wait_for(late, timeout=1)
    assert clock.now() == START + timedelta(seconds=60)
