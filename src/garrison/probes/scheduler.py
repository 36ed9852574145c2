"""Runs every check on time, each on its own, so that no target can hold up another.

Each check has its own task. Its runs are planned on a fixed grid — every
``interval`` seconds, shifted by a jitter derived from the check's id, so that
1,000 checks with the same interval do not all start at once and a restart keeps
the same rhythm. A run is bounded by the check's timeout (measured on the engine's
clock, plus a small grace so the runner's own, more precise timeout wins) and a
check never overlaps itself: a run that ignores cancellation leaves the check
failing with "previous run still in progress" while every other check goes on.

Nothing but the run happens in this path: the result is handed to ``sink``, a
synchronous function that judges it in memory and queues it for the writer; the
sink answers whether to re-run soon (a failure awaiting confirmation).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from garrison.clock import Clock, SystemClock
from garrison.config.checks import Check
from garrison.i18n import gettext as _
from garrison.probes.results import CheckResult, CheckRunner, RunContext

logger = logging.getLogger(__name__)

TIMEOUT_GRACE_SECONDS = 0.5
STOP_WAIT_SECONDS = 2.0
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

Sink = Callable[[Check, CheckResult], bool]
RunContextFactory = Callable[[Check, datetime], RunContext]


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """How one run went, for the engine's own metrics."""

    check: Check
    planned: datetime
    started: datetime
    kind: str  # "ok", "failed", "timeout", "error", "overlap"


def jitter_seconds(check_id: str, interval: float) -> float:
    """A stable offset in [0, interval) from the check's id."""
    return _jitter_us(check_id, _micros(interval)) / 1_000_000


def next_slot(check: Check, after: datetime) -> datetime:
    """The first planned start strictly after ``after`` on the check's grid."""
    # Whole microseconds: float rounding would let a slot come out equal to ``after``.
    interval = _micros(check.interval)
    offset = _jitter_us(check.id, interval)
    elapsed = (after - _EPOCH) // _MICROSECOND - offset
    index = elapsed // interval + 1
    return _EPOCH + _MICROSECOND * (offset + index * interval)


async def sleep_until(clock: Clock, due: datetime) -> None:
    """Sleep until an instant; the delay is read when the sleep begins, not before.

    (A task starts a little after it is created: a delay computed earlier would
    be counted from a later "now", and the wake-up would come late.)
    """
    await clock.sleep((due - clock.now()).total_seconds())


def _micros(seconds: float) -> int:
    return max(1, round(seconds * 1_000_000))


def _jitter_us(check_id: str, interval_us: int) -> int:
    digest = hashlib.sha256(check_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % interval_us


class Scheduler:
    def __init__(
        self,
        *,
        clock: Clock,
        runner_for: Callable[[Check], CheckRunner],
        run_context: RunContextFactory,
        sink: Sink,
        on_run: Callable[[RunOutcome], None] | None = None,
    ) -> None:
        self.clock = clock
        self.runner_for = runner_for
        self.run_context = run_context
        self.sink = sink
        self.on_run = on_run
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._triggers: dict[str, asyncio.Event] = {}
        self._paused: set[str] = set()
        self._in_flight: dict[str, asyncio.Task[CheckResult]] = {}
        # On the system clock, waits are the event loop's own timers (one handle, no task);
        # any other clock (a test's) is awaited through its ``sleep``.
        self._loop_timers = isinstance(clock, SystemClock)
        self._wakers: dict[str, asyncio.Future[None]] = {}
        self._checks: dict[str, Check] = {}

    def start(self, checks: Iterable[Check], *, paused: Iterable[str] = ()) -> None:
        self._paused = set(paused)
        for check in checks:
            self._checks[check.id] = check
            self._triggers[check.id] = asyncio.Event()
            # The first slot is fixed now: the task itself starts a little later.
            first = next_slot(check, self.clock.now())
            self._tasks[check.id] = asyncio.create_task(
                self._run_check_forever(check, first), name=f"probe:{check.id}"
            )

    async def stop(self) -> None:
        """Cancel every check; a run that ignores cancellation is left behind, not awaited."""
        tasks = [*self._tasks.values(), *self._in_flight.values()]
        for task in tasks:
            task.cancel()
        if tasks:
            _done, stuck = await asyncio.wait(tasks, timeout=STOP_WAIT_SECONDS)
            if stuck:
                logger.warning("%d check runs did not stop when cancelled", len(stuck))
        self._tasks.clear()
        self._in_flight.clear()
        self._checks.clear()

    async def update(self, checks: Iterable[Check], *, paused: Iterable[str] = ()) -> None:
        """Run exactly ``checks`` from now on.

        An unchanged check keeps its schedule (and a run in progress); a changed or
        removed one is stopped, and a changed or new one starts on its next slot.
        """
        wanted = {check.id: check for check in checks}
        stale = [key for key, check in self._checks.items() if wanted.get(key) != check]
        tasks: list[asyncio.Task[None] | asyncio.Task[CheckResult]] = []
        for check_id in stale:
            del self._checks[check_id]
            self._triggers.pop(check_id, None)
            for task in (self._tasks.pop(check_id, None), self._in_flight.get(check_id)):
                if task is not None:
                    task.cancel()
                    tasks.append(task)
        if tasks:
            _done, stuck = await asyncio.wait(tasks, timeout=STOP_WAIT_SECONDS)
            if stuck:
                logger.warning("%d check runs did not stop when cancelled", len(stuck))
        for check_id in stale:
            self._in_flight.pop(check_id, None)
        self.start(
            [check for check_id, check in wanted.items() if check_id not in self._checks],
            paused=paused,
        )

    @property
    def running(self) -> int:
        return sum(1 for task in self._tasks.values() if not task.done())

    def run_now(self, check_id: str) -> bool:
        trigger = self._triggers.get(check_id)
        if trigger is None:
            return False
        trigger.set()
        waker = self._wakers.get(check_id)
        if waker is not None:
            _resolve(waker)
        return True

    def set_paused(self, check_id: str, *, paused: bool) -> None:
        if paused:
            self._paused.add(check_id)
        else:
            self._paused.discard(check_id)
        self.run_now(check_id)  # wake the loop so it sees the change at once

    async def _run_check_forever(self, check: Check, due: datetime) -> None:
        trigger = self._triggers[check.id]
        while True:
            triggered = await self._wait_until(due, check.id, trigger)
            trigger.clear()
            if check.id in self._paused:
                due = next_slot(check, self.clock.now()) if not triggered else due
                continue
            now = self.clock.now()
            planned = now if triggered and now < due else due
            retry_soon = await self._run_once(check, planned)
            now = self.clock.now()
            if triggered and now < due:
                continue  # an extra run: the grid stays as it was
            following = next_slot(check, due)
            # A run that overran the next slot skips it rather than starting late.
            due = following if following >= now else next_slot(check, now - _MICROSECOND)
            if retry_soon and check.retry_interval is not None:
                due = min(due, now + timedelta(seconds=check.retry_interval))

    async def _wait_until(self, due: datetime, check_id: str, trigger: asyncio.Event) -> bool:
        """Sleep until ``due`` or until triggered; True when triggered."""
        if trigger.is_set():
            return True
        if due <= self.clock.now():
            return False
        if self._loop_timers:
            waker = asyncio.get_running_loop().create_future()
            self._wakers[check_id] = waker
            try:
                await _loop_timer(waker, (due - self.clock.now()).total_seconds())
            finally:
                self._wakers.pop(check_id, None)
            return trigger.is_set()
        sleeper = asyncio.create_task(sleep_until(self.clock, due))
        waiter = asyncio.create_task(trigger.wait())
        try:
            done, _pending = await asyncio.wait(
                {sleeper, waiter}, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            sleeper.cancel()
            waiter.cancel()
        return waiter in done

    async def _run_once(self, check: Check, planned: datetime) -> bool:
        started = self.clock.now()
        previous = self._in_flight.get(check.id)
        if previous is not None and not previous.done():
            result = CheckResult(
                ok=False,
                reason=_("the previous run is still in progress"),
                started_at=started,
                location=self.run_context(check, started).location,
            )
            return self._deliver(check, result, planned, started, "overlap")
        run = self.run_context(check, started)
        task = asyncio.create_task(self.runner_for(check)(check, run=run))
        self._in_flight[check.id] = task
        await self._run_within(task, started, check.timeout + TIMEOUT_GRACE_SECONDS)
        if not task.done():
            task.cancel()
            task.add_done_callback(_consume_outcome)
            result = CheckResult(
                ok=False,
                reason=_("no answer within %(seconds)g s") % {"seconds": check.timeout},
                started_at=started,
                location=run.location,
                details={"timed_out": True},
            )
            return self._deliver(check, result, planned, started, "timeout")
        del self._in_flight[check.id]
        if task.cancelled():
            raise asyncio.CancelledError
        error = task.exception()
        if error is not None:
            logger.error("runner of check %s raised %s", check.id, type(error).__name__)
            result = CheckResult(
                ok=False,
                reason=_("the probe failed: %(error)s") % {"error": type(error).__name__},
                started_at=started,
                location=run.location,
                details={"internal_error": True},
            )
            return self._deliver(check, result, planned, started, "error")
        result = task.result()
        return self._deliver(check, result, planned, started, "ok" if result.ok else "failed")

    async def _run_within(
        self, task: asyncio.Task[CheckResult], started: datetime, seconds: float
    ) -> None:
        """Wait for the run to end, ``seconds`` after ``started`` at the latest."""
        if self._loop_timers:
            finished = asyncio.get_running_loop().create_future()

            def run_ended(_task: asyncio.Task[CheckResult]) -> None:
                _resolve(finished)

            task.add_done_callback(run_ended)
            try:
                delay = seconds - (self.clock.now() - started).total_seconds()
                await _loop_timer(finished, delay)
            finally:
                task.remove_done_callback(run_ended)
            return
        deadline = started + timedelta(seconds=seconds)
        timer = asyncio.create_task(sleep_until(self.clock, deadline))
        try:
            await asyncio.wait({task, timer}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            timer.cancel()

    def _deliver(
        self, check: Check, result: CheckResult, planned: datetime, started: datetime, kind: str
    ) -> bool:
        if self.on_run is not None:
            self.on_run(RunOutcome(check=check, planned=planned, started=started, kind=kind))
        try:
            return self.sink(check, result)
        except Exception:
            # A bug in judging one result must not stop this check's schedule.
            logger.exception("judging a result of check %s failed", check.id)
            return False


async def _loop_timer(waker: asyncio.Future[None], delay: float) -> None:
    """Wait until ``waker`` is resolved (by someone else) or ``delay`` seconds have passed."""
    handle = asyncio.get_running_loop().call_later(max(0.0, delay), _resolve, waker)
    try:
        await waker
    finally:
        handle.cancel()


def _resolve(waker: asyncio.Future[None]) -> None:
    if not waker.done():
        waker.set_result(None)


def _consume_outcome(task: asyncio.Task[CheckResult]) -> None:
    """An abandoned run may still fail later: its outcome is read so nothing is left dangling."""
    if not task.cancelled() and task.exception() is not None:
        logger.warning("an abandoned run of a check failed after its timeout")
