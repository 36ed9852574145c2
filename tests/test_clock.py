from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from garrison.clock import ManualClock, SystemClock, sleep_or_wake

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


async def test_sleep_or_wake_ends_when_woken_before_its_time() -> None:
    clock = ManualClock(START)
    wake = asyncio.Event()
    sleeper = asyncio.create_task(sleep_or_wake(clock, 60, wake))
    await _settle()
    assert not sleeper.done()
    wake.set()
    await asyncio.wait_for(sleeper, timeout=1)
    assert clock.now() == START


async def test_sleep_or_wake_ends_when_its_time_is_reached() -> None:
    clock = ManualClock(START)
    wake = asyncio.Event()
    sleeper = asyncio.create_task(sleep_or_wake(clock, 60, wake))
    await _settle()
    clock.advance(59)
    await _settle()
    assert not sleeper.done()
    clock.advance(1)
    await asyncio.wait_for(sleeper, timeout=1)
    assert not wake.is_set()


async def _settle() -> None:
    """Let the sleeper start its timer and waker tasks."""
    for _ in range(5):
        await asyncio.sleep(0)
