"""The scheduler on the system clock, where it waits on the event loop's own timers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from garrison.clock import SystemClock
from garrison.probes.results import RunContext
from garrison.probes.scheduler import Scheduler
from tests.probes.engine.factories import ScriptedRunner, http_check
from tests.probes.engine.test_scheduler import Recorder, checks


@pytest.fixture
async def setup() -> AsyncIterator[tuple[Scheduler, ScriptedRunner, Recorder]]:
    runner = ScriptedRunner()
    recorder = Recorder()
    scheduler = Scheduler(
        clock=SystemClock(),
        runner_for=lambda _check: runner,
        run_context=lambda _check, started: RunContext(location="local", started_at=started),
        sink=recorder.sink,
        on_run=recorder.outcomes.append,
    )
    yield scheduler, runner, recorder
    await scheduler.stop()


async def test_run_now_wakes_a_check_sleeping_until_its_slot(
    setup: tuple[Scheduler, ScriptedRunner, Recorder],
) -> None:
    scheduler, _runner, recorder = setup
    (check,) = checks(http_check("portal", interval=3600, timeout=5))
    scheduler.start([check])
    assert scheduler.run_now("portal")
    (first,) = await recorder.wait_for("portal", 1)
    assert first.ok
    assert scheduler.run_now("portal")
    await recorder.wait_for("portal", 2)
    assert [outcome.kind for outcome in recorder.outcomes] == ["ok", "ok"]


async def test_a_hung_run_ends_as_a_timeout_on_the_loop_timer(
    setup: tuple[Scheduler, ScriptedRunner, Recorder],
) -> None:
    scheduler, runner, recorder = setup
    (hung, healthy) = checks(
        http_check("hung", interval=3600, timeout=0.2),
        http_check("healthy", interval=3600, timeout=5),
    )
    runner.script("hung", "hang", then=True)
    scheduler.start([hung, healthy])
    scheduler.run_now("hung")
    scheduler.run_now("healthy")
    assert (await recorder.wait_for("healthy", 1))[0].ok
    (timed_out,) = await recorder.wait_for("hung", 1)
    assert not timed_out.ok
    assert timed_out.details == {"timed_out": True}
    kinds = {outcome.check.id: outcome.kind for outcome in recorder.outcomes}
    assert kinds == {"hung": "timeout", "healthy": "ok"}


async def test_checks_wait_on_one_timer_and_all_run_on_time(
    setup: tuple[Scheduler, ScriptedRunner, Recorder],
) -> None:
    scheduler, _runner, recorder = setup
    many = checks(*(http_check(f"c{n}", interval=1, timeout=0.5) for n in range(300)))
    tasks_before = len(asyncio.all_tasks())
    scheduler.start(many)
    # Waiting for their slots takes no task per check: one timer of the event loop.
    assert len(asyncio.all_tasks()) == tasks_before
    for check in many:
        await recorder.wait_for(check.id, 1)
    assert {outcome.kind for outcome in recorder.outcomes} == {"ok"}
    # A start waits for its tick at most (plus whatever else the loop was busy with).
    lags = [(o.started - o.planned).total_seconds() for o in recorder.outcomes]
    assert min(lags) >= 0
    assert max(lags) < 0.5
