"""Runs every check on time, each on its own, so that no target can hold up another.

Runs are planned on a fixed grid per check — every ``interval`` seconds, shifted
by a jitter derived from the check's id, so that 1,000 checks with the same
interval do not all start at once and a restart keeps the same rhythm.

One timer serves every check: the planned starts wait in a heap, and each time
the timer fires (a *tick*) every check that is due is started at once, as a task
of its own, and the timer is set again for the next one. On the system clock,
wake-ups are rounded up to :data:`TICK_SECONDS`, so that at thousands of runs a
second one wake-up starts many of them; on any other clock (a test's) a tick
comes exactly when a run is due. Nothing waits on a run: its end is a callback
that judges the result and plans the check's next start.

A run is bounded by the check's timeout (measured on the engine's clock, plus a
small grace so the runner's own, more precise timeout wins): run deadlines wait
in a second heap, served by the same timer. A check never overlaps itself: a run
that ignores cancellation leaves the check failing with "previous run still in
progress" while every other check goes on.

Nothing but the run happens in this path: the result is handed to ``sink``, a
synchronous function that judges it in memory and queues it for the writer; the
sink answers whether to re-run soon (a failure awaiting confirmation).
"""

from __future__ import annotations

import asyncio
import hashlib
import heapq
import itertools
import logging
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache, partial

from garrison.clock import Clock, SystemClock
from garrison.config.checks import Check
from garrison.i18n import gettext as _
from garrison.probes.results import CheckResult, CheckRunner, RunContext

logger = logging.getLogger(__name__)

TIMEOUT_GRACE_SECONDS = 0.5
STOP_WAIT_SECONDS = 2.0
# On the system clock, starts due within one tick share a wake-up (at most this late).
TICK_SECONDS = 0.01
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


@lru_cache(maxsize=65_536)  # the same checks, every run: hash each id once
def _jitter_us(check_id: str, interval_us: int) -> int:
    digest = hashlib.sha256(check_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % interval_us


@dataclass(slots=True, eq=False)
class _Planned:
    """One check in the schedule: its next start and its run, if one is going on."""

    check: Check
    due: datetime
    # Bumped whenever ``due`` is planned again: older heap entries are stale.
    version: int = 0
    # "Run now" was asked: handled as soon as no run of the check is going on.
    triggered: bool = False
    # A run is going on (started, not ended, not timed out).
    running: bool = False
    # The run going on is an extra one ("run now" before the slot): the grid stays.
    extra: bool = False
    stopped: bool = False
    # The latest run; after a timeout it may still be going (then the next start overlaps).
    task: asyncio.Task[CheckResult] | None = None
    run: RunContext | None = None
    planned: datetime = _EPOCH
    started: datetime = _EPOCH
    timeout: timedelta = field(default=timedelta(0))


class Scheduler:
    def __init__(
        self,
        *,
        clock: Clock,
        runner_for: Callable[[Check], CheckRunner],
        run_context: RunContextFactory,
        sink: Sink,
        on_run: Callable[[RunOutcome], None] | None = None,
        tick_seconds: float | None = None,
    ) -> None:
        self.clock = clock
        self.runner_for = runner_for
        self.run_context = run_context
        self.sink = sink
        self.on_run = on_run
        # On the system clock, the timer is one of the event loop's own (a handle, no
        # task); any other clock (a test's) is awaited through its ``sleep``.
        self._loop_timers = isinstance(clock, SystemClock)
        self.tick_seconds = (
            tick_seconds if tick_seconds is not None else TICK_SECONDS if self._loop_timers else 0.0
        )
        self._planned: dict[str, _Planned] = {}
        self._paused: set[str] = set()
        self._order = itertools.count()
        # (due, order, planned, version) and (deadline, order, planned, task).
        self._starts: list[tuple[datetime, int, _Planned, int]] = []
        self._deadlines: list[tuple[datetime, int, _Planned, asyncio.Task[CheckResult]]] = []
        self._triggered: list[_Planned] = []
        self._wake_at: datetime | None = None
        self._handle: asyncio.TimerHandle | None = None
        self._sleeper: asyncio.Task[None] | None = None
        self._soon: asyncio.Handle | None = None
        # During a tick the timer is set once, at its end, for whatever comes next.
        self._ticking = False

    def start(self, checks: Iterable[Check], *, paused: Iterable[str] = ()) -> None:
        self._paused = set(paused)
        now = self.clock.now()
        for check in checks:
            planned = _Planned(check, next_slot(check, now))
            planned.timeout = timedelta(seconds=check.timeout + TIMEOUT_GRACE_SECONDS)
            self._planned[check.id] = planned
            self._plan(planned, planned.due)

    async def stop(self) -> None:
        """Cancel every check; a run that ignores cancellation is left behind, not awaited."""
        self._disarm()
        if self._soon is not None:
            self._soon.cancel()
            self._soon = None
        await self._forget(list(self._planned))
        self._starts.clear()
        self._deadlines.clear()
        self._triggered.clear()

    async def update(self, checks: Iterable[Check], *, paused: Iterable[str] = ()) -> None:
        """Run exactly ``checks`` from now on.

        An unchanged check keeps its schedule (and a run in progress); a changed or
        removed one is stopped, and a changed or new one starts on its next slot.
        """
        wanted = {check.id: check for check in checks}
        await self._forget(
            [key for key, planned in self._planned.items() if wanted.get(key) != planned.check]
        )
        self.start(
            [check for check_id, check in wanted.items() if check_id not in self._planned],
            paused=paused,
        )

    @property
    def running(self) -> int:
        """Checks on the schedule."""
        return len(self._planned)

    def run_now(self, check_id: str) -> bool:
        planned = self._planned.get(check_id)
        if planned is None:
            return False
        if not planned.triggered:
            planned.triggered = True
            if not planned.running:  # else: as soon as the run going on ends
                self._trigger_soon(planned)
        return True

    def set_paused(self, check_id: str, *, paused: bool) -> None:
        if paused:
            self._paused.add(check_id)
        else:
            self._paused.discard(check_id)
        self.run_now(check_id)  # look at the check again at once

    # -- the timer ----------------------------------------------------------------------------

    def _tick(self) -> None:
        """Start every check due (or triggered), end every run past its deadline."""
        self._ticking = True
        try:
            self._run_tick(self.clock.now())
        finally:
            self._ticking = False
        self._arm()

    def _run_tick(self, now: datetime) -> None:
        if self._triggered:
            triggered, self._triggered = self._triggered, []
            for planned in triggered:
                if planned.triggered and not planned.running and not planned.stopped:
                    self._wake(planned, now)
        starts = self._starts
        while starts and starts[0][0] <= now:
            _due, _order, planned, version = heapq.heappop(starts)
            if version == planned.version and not planned.stopped and not planned.running:
                self._wake(planned, now)
        deadlines = self._deadlines
        while deadlines and deadlines[0][0] <= now:
            _deadline, _order, planned, task = heapq.heappop(deadlines)
            if planned.task is task and planned.running and not planned.stopped:
                self._time_out(planned)

    def _arm(self) -> None:
        """Set the timer for the earliest start or deadline still pending."""
        starts, deadlines = self._starts, self._deadlines
        while starts and (starts[0][3] != starts[0][2].version or starts[0][2].stopped):
            heapq.heappop(starts)
        while deadlines and (
            deadlines[0][2].task is not deadlines[0][3] or not deadlines[0][2].running
        ):
            heapq.heappop(deadlines)
        earliest = starts[0][0] if starts else None
        if deadlines and (earliest is None or deadlines[0][0] < earliest):
            earliest = deadlines[0][0]
        if earliest is None:
            self._disarm()
        elif self._wake_at is None or earliest != self._wake_at:
            self._disarm()
            self._arm_at(earliest)

    def _arm_at(self, when: datetime) -> None:
        """Have the timer fire at ``when`` at the latest (an earlier setting is kept)."""
        if self._wake_at is not None:
            if self._wake_at <= when:
                return
            self._disarm()
        self._wake_at = when
        if self._loop_timers:
            loop = asyncio.get_running_loop()
            fire = loop.time() + max(0.0, (when - self.clock.now()).total_seconds())
            if self.tick_seconds > 0:
                fire = math.ceil(fire / self.tick_seconds) * self.tick_seconds
            self._handle = loop.call_at(fire, self._timer_fired)
        else:
            self._sleeper = asyncio.create_task(self._sleep_until(when))

    def _disarm(self) -> None:
        self._wake_at = None
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        if self._sleeper is not None:
            self._sleeper.cancel()
            self._sleeper = None

    def _timer_fired(self) -> None:
        self._handle = None
        self._wake_at = None
        self._tick()

    async def _sleep_until(self, when: datetime) -> None:
        await sleep_until(self.clock, when)
        self._sleeper = None
        self._wake_at = None
        self._tick()

    def _trigger_soon(self, planned: _Planned) -> None:
        self._triggered.append(planned)
        if self._soon is None:
            self._soon = asyncio.get_running_loop().call_soon(self._soon_fired)

    def _soon_fired(self) -> None:
        self._soon = None
        self._tick()

    # -- one check ----------------------------------------------------------------------------

    def _plan(self, planned: _Planned, due: datetime) -> None:
        planned.due = due
        planned.version += 1
        heapq.heappush(self._starts, (due, next(self._order), planned, planned.version))
        if not self._ticking and (self._wake_at is None or due < self._wake_at):
            self._arm_at(due)

    def _wake(self, planned: _Planned, now: datetime) -> None:
        """The check is due, or was triggered: start a run (unless paused)."""
        triggered = planned.triggered
        planned.triggered = False
        check = planned.check
        if check.id in self._paused:
            if not triggered or planned.due <= now:
                self._plan(planned, next_slot(check, now))
            return  # triggered before its slot: the slot is still planned
        early = triggered and now < planned.due
        planned.version += 1  # the planned start is taken (by an extra run: planned again after)
        self._start_run(planned, now if early else planned.due, now, extra=early)

    def _start_run(self, planned: _Planned, due: datetime, now: datetime, *, extra: bool) -> None:
        check = planned.check
        planned.planned = due
        planned.started = now
        planned.extra = extra
        previous = planned.task
        if previous is not None and not previous.done():
            result = CheckResult(
                ok=False,
                reason=_("the previous run is still in progress"),
                started_at=now,
                location=self.run_context(check, now).location,
            )
            self._ended(planned, result, "overlap")
            return
        run = planned.run = self.run_context(check, now)
        task = asyncio.create_task(self.runner_for(check)(check, run=run))
        planned.task = task
        planned.running = True
        task.add_done_callback(partial(self._run_ended, planned))
        deadline = now + planned.timeout
        heapq.heappush(self._deadlines, (deadline, next(self._order), planned, task))
        if not self._ticking and (self._wake_at is None or deadline < self._wake_at):
            self._arm_at(deadline)

    def _run_ended(self, planned: _Planned, task: asyncio.Task[CheckResult]) -> None:
        if planned.task is not task or not planned.running or planned.stopped:
            _consume_outcome(task)  # timed out (already reported) or stopped
            return
        planned.running = False
        check = planned.check
        run = planned.run
        location = run.location if run is not None else ""
        error: BaseException | None = (
            asyncio.CancelledError() if task.cancelled() else task.exception()
        )
        if error is not None:
            logger.error("runner of check %s raised %s", check.id, type(error).__name__)
            result = CheckResult(
                ok=False,
                reason=_("the probe failed: %(error)s") % {"error": type(error).__name__},
                started_at=planned.started,
                location=location,
                details={"internal_error": True},
            )
            self._ended(planned, result, "error")
            return
        result = task.result()
        self._ended(planned, result, "ok" if result.ok else "failed")

    def _time_out(self, planned: _Planned) -> None:
        task = planned.task
        assert task is not None
        planned.running = False
        task.cancel()
        run = planned.run
        check = planned.check
        result = CheckResult(
            ok=False,
            reason=_("no answer within %(seconds)g s") % {"seconds": check.timeout},
            started_at=planned.started,
            location=run.location if run is not None else "",
            details={"timed_out": True},
        )
        self._ended(planned, result, "timeout")

    def _ended(self, planned: _Planned, result: CheckResult, kind: str) -> None:
        """Report the run, then plan the check's next start."""
        check = planned.check
        retry_soon = self._deliver(check, result, planned.planned, planned.started, kind)
        if planned.stopped:
            return
        now = self.clock.now()
        due = planned.due
        if not (planned.extra and now < due):  # else an extra run: the grid stays as it was
            following = next_slot(check, due)
            # A run that overran the next slot skips it rather than starting late.
            due = following if following >= now else next_slot(check, now - _MICROSECOND)
            if retry_soon and check.retry_interval is not None:
                due = min(due, now + timedelta(seconds=check.retry_interval))
        self._plan(planned, due)
        if planned.triggered:
            self._trigger_soon(planned)

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

    async def _forget(self, check_ids: list[str]) -> None:
        """Take checks off the schedule, cancelling their runs (stuck ones are left behind)."""
        tasks: list[asyncio.Task[CheckResult]] = []
        for check_id in check_ids:
            planned = self._planned.pop(check_id)
            planned.stopped = True
            if planned.task is not None and not planned.task.done():
                planned.task.cancel()
                tasks.append(planned.task)
        if tasks:
            _done, stuck = await asyncio.wait(tasks, timeout=STOP_WAIT_SECONDS)
            if stuck:
                logger.warning("%d check runs did not stop when cancelled", len(stuck))


def _consume_outcome(task: asyncio.Task[CheckResult]) -> None:
    """An abandoned run may still fail later: its outcome is read so nothing is left dangling."""
    if not task.cancelled() and task.exception() is not None:
        logger.warning("an abandoned run of a check failed after its timeout")
