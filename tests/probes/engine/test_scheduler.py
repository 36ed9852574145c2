"""The scheduler on a manual clock: on time, bounded, never held up by another check."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from garrison.clock import ManualClock
from garrison.config.checks import Check
from garrison.probes.results import CheckResult, RunContext
from garrison.probes.scheduler import RunOutcome, Scheduler, jitter_seconds, next_slot
from tests.probes.engine.factories import WAIT_SECONDS, ScriptedRunner, http_check, make_config

T0 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


@dataclass
class Recorder:
    """A sink that keeps every result; answers "retry soon" after a failure."""

    results: list[tuple[str, CheckResult]] = field(default_factory=list)
    outcomes: list[RunOutcome] = field(default_factory=list)
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    def sink(self, check: Check, result: CheckResult) -> bool:
        self.results.append((check.id, result))
        asyncio.get_running_loop().create_task(self._notify())
        return not result.ok

    async def _notify(self) -> None:
        async with self.changed:
            self.changed.notify_all()

    def of(self, check_id: str) -> list[CheckResult]:
        return [result for called, result in self.results if called == check_id]

    async def wait_for(self, check_id: str, count: int) -> list[CheckResult]:
        async with asyncio.timeout(WAIT_SECONDS), self.changed:
            await self.changed.wait_for(lambda: len(self.of(check_id)) >= count)
        return self.of(check_id)


def checks(*documents: dict[str, object]) -> list[Check]:
    return list(make_config(checks=documents).checks)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
async def setup(clock: ManualClock) -> AsyncIterator[tuple[Scheduler, ScriptedRunner, Recorder]]:
    runner = ScriptedRunner()
    recorder = Recorder()
    scheduler = Scheduler(
        clock=clock,
        runner_for=lambda _check: runner,
        run_context=lambda _check, started: RunContext(location="local", started_at=started),
        sink=recorder.sink,
        on_run=recorder.outcomes.append,
    )
    yield scheduler, runner, recorder
    await scheduler.stop()


def test_jitter_is_stable_and_spreads_checks() -> None:
    assert jitter_seconds("portal", 30) == jitter_seconds("portal", 30)
    offsets = {round(jitter_seconds(f"check-{n}", 30), 3) for n in range(200)}
    assert len(offsets) > 190
    assert all(0 <= offset < 30 for offset in offsets)
    # Spread over the whole interval, not bunched at its start.
    assert min(offsets) < 3
    assert max(offsets) > 27


def test_next_slot_is_on_the_grid_strictly_after() -> None:
    (check,) = checks(http_check("portal", interval=10, timeout=5))
    first = next_slot(check, T0)
    assert T0 < first <= T0 + timedelta(seconds=10)
    assert next_slot(check, first) == first + timedelta(seconds=10)
    assert next_slot(check, first - timedelta(microseconds=1)) == first


async def test_a_hung_check_never_delays_another(
    clock: ManualClock, setup: tuple[Scheduler, ScriptedRunner, Recorder]
) -> None:
    scheduler, runner, recorder = setup
    hung, fast = checks(
        http_check("hung", interval=10, timeout=8), http_check("fast", interval=2, timeout=1)
    )
    runner.script("hung", then="hang")
    scheduler.start([hung, fast])
    slot = next_slot(fast, T0)
    planned = []
    for _ in range(12):
        planned.append(slot)
        clock.advance((slot - clock.now()).total_seconds())
        await recorder.wait_for("fast", len(planned))
        slot = next_slot(fast, slot)
    # Every run of the fast check started exactly when planned, while the other hung.
    assert [run.started_at for run in runner.calls_of("fast")] == planned
    assert len(runner.calls_of("hung")) >= 2
    fast_lags = [o.started - o.planned for o in recorder.outcomes if o.check.id == "fast"]
    assert set(fast_lags) == {timedelta(0)}
    # The hung runs ended as failed results at the timeout (plus the grace), not never.
    timed_out = recorder.of("hung")
    assert timed_out
    assert not timed_out[0].ok
    assert "no answer within 8 s" in timed_out[0].reason
    assert {o.kind for o in recorder.outcomes if o.check.id == "hung"} == {"timeout"}


async def test_a_runner_that_raises_is_a_failed_result_and_the_schedule_goes_on(
    clock: ManualClock, setup: tuple[Scheduler, ScriptedRunner, Recorder]
) -> None:
    scheduler, runner, recorder = setup
    (check,) = checks(http_check("buggy", interval=5, timeout=2))
    runner.script("buggy", "raise", then=True)
    scheduler.start([check])
    slot = next_slot(check, T0)
    clock.advance((slot - clock.now()).total_seconds())
    (failed,) = await recorder.wait_for("buggy", 1)
    assert not failed.ok
    assert "RuntimeError" in failed.reason
    clock.advance(5)
    results = await recorder.wait_for("buggy", 2)
    assert results[1].ok


async def test_schedule_lag_is_measured(
    clock: ManualClock, setup: tuple[Scheduler, ScriptedRunner, Recorder]
) -> None:
    scheduler, _runner, recorder = setup
    (check,) = checks(http_check("late", interval=10, timeout=5))
    scheduler.start([check])
    slot = next_slot(check, T0)
    # The loop wakes 1.5 s after the planned start (as if the event loop was busy).
    clock.advance((slot - clock.now()).total_seconds() + 1.5)
    await recorder.wait_for("late", 1)
    (outcome,) = recorder.outcomes
    assert outcome.planned == slot
    assert outcome.started - outcome.planned == timedelta(seconds=1.5)


async def test_a_failure_is_retried_at_retry_interval_then_the_grid_resumes(
    clock: ManualClock, setup: tuple[Scheduler, ScriptedRunner, Recorder]
) -> None:
    scheduler, runner, recorder = setup
    (check,) = checks(http_check("flaky", interval=30, timeout=2, retry_interval=3))
    runner.script("flaky", False, True, then=True)
    scheduler.start([check])
    slot = next_slot(check, T0)
    clock.advance((slot - clock.now()).total_seconds())
    await recorder.wait_for("flaky", 1)
    clock.advance(3)
    await recorder.wait_for("flaky", 2)
    clock.advance((slot + timedelta(seconds=30) - clock.now()).total_seconds())
    await recorder.wait_for("flaky", 3)
    starts = [run.started_at for run in runner.calls_of("flaky")]
    assert starts == [slot, slot + timedelta(seconds=3), slot + timedelta(seconds=30)]


async def test_a_run_that_ignores_cancellation_never_overlaps_itself(
    clock: ManualClock, setup: tuple[Scheduler, ScriptedRunner, Recorder]
) -> None:
    scheduler, runner, recorder = setup
    (check,) = checks(http_check("stuck", interval=5, timeout=2))
    runner.script("stuck", "stubborn", then=True)
    scheduler.start([check])
    slot = next_slot(check, T0)
    clock.advance((slot - clock.now()).total_seconds())
    await runner.wait_for_calls("stuck", 1)
    clock.advance(2.5)
    await recorder.wait_for("stuck", 1)
    clock.advance(2.5)
    results = await recorder.wait_for("stuck", 2)
    assert "still in progress" in results[1].reason
    assert len(runner.calls_of("stuck")) == 1
    runner.release.set()
    await asyncio.sleep(0)
    clock.advance(5)
    results = await recorder.wait_for("stuck", 3)
    assert results[2].ok
    assert len(runner.calls_of("stuck")) == 2


async def test_run_now_and_pause(
    clock: ManualClock, setup: tuple[Scheduler, ScriptedRunner, Recorder]
) -> None:
    scheduler, runner, recorder = setup
    (check,) = checks(http_check("portal", interval=60, timeout=5))
    scheduler.start([check], paused=["portal"])
    clock.advance(120)
    await asyncio.sleep(0)
    assert runner.calls_of("portal") == []
    scheduler.set_paused("portal", paused=False)  # resuming runs it at once
    await recorder.wait_for("portal", 1)
    assert scheduler.run_now("portal")
    await recorder.wait_for("portal", 2)
    assert not scheduler.run_now("unknown")
    assert scheduler.running == 1


async def test_run_now_during_a_run_runs_once_more_after_it_and_keeps_the_grid(
    clock: ManualClock, setup: tuple[Scheduler, ScriptedRunner, Recorder]
) -> None:
    scheduler, runner, recorder = setup
    (check,) = checks(http_check("slow", interval=30, timeout=20))
    runner.script("slow", "stubborn", then=True)
    scheduler.start([check])
    slot = next_slot(check, T0)
    clock.advance((slot - clock.now()).total_seconds())
    await runner.wait_for_calls("slow", 1)
    # Asked twice while the run goes on: one more run, right after it, not two.
    assert scheduler.run_now("slow")
    assert scheduler.run_now("slow")
    await asyncio.sleep(0)
    assert len(runner.calls_of("slow")) == 1
    clock.advance(1)
    runner.release.set()
    results = await recorder.wait_for("slow", 2)
    assert all(result.ok for result in results)
    calls = runner.calls_of("slow")
    assert [run.started_at for run in calls] == [slot, slot + timedelta(seconds=1)]
    # The extra run did not move the grid: the next run is on the next slot.
    clock.advance((slot + timedelta(seconds=30) - clock.now()).total_seconds())
    await recorder.wait_for("slow", 3)
    assert runner.calls_of("slow")[2].started_at == slot + timedelta(seconds=30)
    assert [o.kind for o in recorder.outcomes] == ["ok", "ok", "ok"]


async def test_run_now_on_a_paused_check_runs_nothing(
    clock: ManualClock, setup: tuple[Scheduler, ScriptedRunner, Recorder]
) -> None:
    scheduler, runner, _recorder = setup
    (check,) = checks(http_check("portal", interval=10, timeout=5))
    scheduler.start([check], paused=["portal"])
    assert scheduler.run_now("portal")
    clock.advance(25)
    for _ in range(5):
        await asyncio.sleep(0)
    assert runner.calls_of("portal") == []
