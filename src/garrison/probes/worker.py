"""The probe engine as workers of ``garrison serve``: probing, and retention apart.

``ProbeWorker`` wires the parts: the scheduler runs checks and hands each result to
the engine's judgement (in memory) and the batch writer's queue; the writer stores
and publishes; a ticker follows maintenance windows; commands from the API (run
now, pause, maintenance, baseline, heartbeat) arrive over the bus. On stop, the
checks are stopped first, then what is queued is written.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from garrison.bus.abc import Subscription
from garrison.config import EventConfig, LoadedConfig, load_config
from garrison.config.checks import Check
from garrison.probes.commands import (
    BaselineApproved,
    CheckPauseChanged,
    CheckRunRequested,
    ChecksChanged,
    HeartbeatReceived,
    MaintenanceChanged,
    ProbeCommand,
)
from garrison.probes.engine import Judgement, ProbeEngine
from garrison.probes.heartbeat import HeartbeatMonitor
from garrison.probes.maintenance import MaintenanceCalendar, Window
from garrison.probes.metrics import ProbeMetrics, register_probe_metrics
from garrison.probes.plan import ProbePlan
from garrison.probes.results import CheckResult, CheckRunner, RunContext
from garrison.probes.retention import purge_old_results
from garrison.probes.runners import run_check
from garrison.probes.runtime_state import (
    RuntimeState,
    ensure_state_rows,
    load_api_windows,
    load_baselines,
    load_runtime_state,
)
from garrison.probes.scheduler import RunOutcome, Scheduler, sleep_until
from garrison.probes.writer import ResultWriter
from garrison.runtime.context import AppContext

logger = logging.getLogger(__name__)

MAINTENANCE_RECHECK_SECONDS = 60.0
STOP_FLUSH_SECONDS = 5.0
RETENTION_INTERVAL_SECONDS = 600.0
GC_YOUNG_THRESHOLD = 10_000


class ProbeWorker:
    name = "probes"

    def __init__(
        self,
        context: AppContext,
        *,
        config: EventConfig,
        runner: CheckRunner | None = None,
        metrics: ProbeMetrics | None = None,
        reload: Callable[[], EventConfig] | None = None,
    ) -> None:
        self.context = context
        self.plan = ProbePlan.from_config(config)
        # Where a configuration sync is read from (the configuration file by default).
        self.reload = reload if reload is not None else self._read_config_file
        self.runner: CheckRunner = runner if runner is not None else run_check
        # Created once: a restarted worker must not register its metrics twice.
        self.metrics = metrics if metrics is not None else register_probe_metrics(context.registry)
        self.live: LiveEngine | None = None

    async def run(self, started: Callable[[], None]) -> None:
        now = self.context.clock.now()
        async with self.context.sessions() as session:
            await ensure_state_rows(session, plan=self.plan, at=now)
            saved = await load_runtime_state(session)
            await session.commit()
        live = self.live = LiveEngine(self, saved)
        subscription = self.context.bus.subscribe(ProbeCommand, consumer="probes")
        helpers = [
            asyncio.create_task(live.writer.run(), name="probes:writer"),
            asyncio.create_task(live.follow_commands(subscription), name="probes:commands"),
            asyncio.create_task(live.follow_maintenance(), name="probes:maintenance"),
        ]
        live.scheduler.start(self.plan.checks.values(), paused=live.engine.paused)
        # What was built at start lives as long as the engine: the collector need not
        # walk it again on every collection (with 10,000 checks, most of its CPU time).
        gc.collect()
        gc.freeze()
        # Each run allocates a few dozen short-lived objects: a young generation of 700
        # would be collected hundreds of times a second, each time walking the survivors.
        young, middle, old = gc.get_threshold()
        gc.set_threshold(max(young, GC_YOUNG_THRESHOLD), middle, old)
        logger.info("probe engine started: %d checks", len(self.plan.checks))
        started()
        try:
            done, _pending = await asyncio.wait(helpers, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()  # a helper that ended has failed: let the supervisor restart us
            raise RuntimeError("a probe engine task ended unexpectedly")
        finally:
            await live.scheduler.stop()
            for task in helpers[1:]:
                task.cancel()
            await subscription.close()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(live.writer.flush(), timeout=STOP_FLUSH_SECONDS)
            helpers[0].cancel()
            for task in helpers:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            logger.info("probe engine stopped")

    def _read_config_file(self) -> EventConfig:
        path = self.context.settings.config_file
        if path is None:
            raise RuntimeError("checks changed but Garrison runs without a configuration file")
        return load_config(path).config

    async def flush(self) -> None:
        """Wait until every result and change so far is stored and published (for tests)."""
        if self.live is not None:
            await self.live.writer.flush()


class LiveEngine:
    """The parts of one running engine, wired together."""

    def __init__(self, worker: ProbeWorker, saved: RuntimeState) -> None:
        context = worker.context
        self.worker = worker
        self.context = context
        self.plan = worker.plan
        self.runner = worker.runner
        self.metrics = worker.metrics
        now = context.clock.now()
        self.baselines = dict(saved.baselines)
        self.heartbeats = HeartbeatMonitor(started_at=now)
        self.heartbeats.last_beats.update(saved.last_beats)
        self.engine = ProbeEngine(
            self.plan,
            calendar=self._calendar(saved.api_windows),
            now=now,
            restored_checks=saved.checks,
            restored_services=saved.services,
        )
        self.writer = ResultWriter(
            sessions=context.sessions,
            bus=context.bus,
            clock=context.clock,
            metrics=self.metrics,
            before_batch=self.engine.settle,
        )
        self.writer.submit_changes(Judgement(services=self.engine.startup))
        self.scheduler = Scheduler(
            clock=context.clock,
            runner_for=self._runner_for,
            run_context=self._run_context,
            sink=self.judge,
            on_run=self._count_run,
        )
        self._maintenance_wake = asyncio.Event()

    # -- the probe path -----------------------------------------------------------------------

    def judge(self, check: Check, result: CheckResult) -> bool:
        judgement = self.engine.observe(check.id, result)
        self.writer.submit(check.id, result, judgement)
        return judgement.retry_soon

    def _runner_for(self, check: Check) -> CheckRunner:
        return self.heartbeats if check.type == "heartbeat" else self.runner

    def _run_context(self, check: Check, started: datetime) -> RunContext:
        baseline = self.baselines.get(check.id) if check.type == "content" else None
        return RunContext(location=self.plan.location, started_at=started, baseline=baseline)

    def _count_run(self, outcome: RunOutcome) -> None:
        self.metrics.observe_run(
            check_type=outcome.check.type,
            kind=outcome.kind,
            planned=outcome.planned,
            started=outcome.started,
        )

    # -- commands and maintenance -------------------------------------------------------------

    async def follow_commands(self, subscription: Subscription[ProbeCommand]) -> None:
        async for command in subscription:
            try:
                await self.apply(command)
            except Exception:
                logger.exception("probe command %s failed", type(command).__name__)

    async def apply(self, command: ProbeCommand) -> None:
        now = self.context.clock.now()
        if isinstance(command, CheckRunRequested):
            self.scheduler.run_now(command.check_id)
        elif isinstance(command, CheckPauseChanged):
            judgement = self.engine.set_paused(
                command.check_id, paused=command.paused, at=now, reason=command.reason
            )
            self.writer.submit_changes(judgement)
            self.scheduler.set_paused(command.check_id, paused=command.paused)
        elif isinstance(command, MaintenanceChanged):
            async with self.context.sessions() as session:
                api_windows = await load_api_windows(session)
            self.writer.submit_changes(self.engine.set_calendar(self._calendar(api_windows), now))
            self._maintenance_wake.set()
        elif isinstance(command, BaselineApproved):
            async with self.context.sessions() as session:
                self.baselines.update(await load_baselines(session, check_id=command.check_id))
            self.scheduler.run_now(command.check_id)
        elif isinstance(command, HeartbeatReceived):
            self._accept_beat(command)
        elif isinstance(command, ChecksChanged):
            await self.replan()

    async def replan(self) -> None:
        """Watch the checks of the configuration as synced now, keeping the states known."""
        config = await asyncio.to_thread(self.worker.reload)
        plan = ProbePlan.from_config(config)
        now = self.context.clock.now()
        async with self.context.sessions() as session:
            await ensure_state_rows(session, plan=plan, at=now)
            api_windows = await load_api_windows(session)
            await session.commit()
        self.plan = self.worker.plan = plan
        calendar = self._calendar(api_windows)
        self.writer.submit_changes(self.engine.replan(plan, calendar=calendar, at=now))
        await self.scheduler.update(plan.checks.values(), paused=self.engine.paused)
        self._maintenance_wake.set()
        logger.info("probe plan rebuilt: %d checks", len(plan.checks))

    def _accept_beat(self, command: HeartbeatReceived) -> None:
        check = self.plan.checks.get(command.check_id)
        if check is None or check.type != "heartbeat":
            return
        self.heartbeats.beat(check.id, command.occurred_at)
        result = CheckResult(
            ok=True,
            reason="",
            started_at=command.occurred_at,
            location=self.plan.location,
            details={"push": True},
        )
        self.judge(check, result)

    async def follow_maintenance(self) -> None:
        clock = self.context.clock
        while True:
            now = clock.now()
            upcoming = self.engine.calendar.next_change_after(now)
            limit = now + timedelta(seconds=MAINTENANCE_RECHECK_SECONDS)
            due = min(upcoming, limit) if upcoming is not None else limit
            sleeper = asyncio.create_task(sleep_until(clock, due))
            waker = asyncio.create_task(self._maintenance_wake.wait())
            try:
                await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                sleeper.cancel()
                waker.cancel()
            self._maintenance_wake.clear()
            self.writer.submit_changes(self.engine.refresh_maintenance(clock.now()))

    def _calendar(self, api_windows: list[Window]) -> MaintenanceCalendar:
        return MaintenanceCalendar([*self.plan.config_windows, *api_windows], self.plan.zone)


class ProbeRetentionWorker:
    """Deletes raw results older than ``probes.retention_days``; never touches probing."""

    name = "probe-retention"

    def __init__(
        self,
        context: AppContext,
        *,
        retention_days: float,
        interval: float = RETENTION_INTERVAL_SECONDS,
    ) -> None:
        self.context = context
        self.retention = timedelta(days=retention_days)
        self.interval = interval

    async def run(self, started: Callable[[], None]) -> None:
        started()
        while True:
            await self.run_once()
            await self.context.clock.sleep(self.interval)

    async def run_once(self) -> int:
        cutoff = self.context.clock.now() - self.retention
        removed = await purge_old_results(self.context.sessions, before=cutoff)
        if removed:
            logger.info("probe retention removed %d results older than %s", removed, cutoff)
        return removed


def probe_workers(
    context: AppContext, loaded: LoadedConfig | None
) -> list[ProbeWorker | ProbeRetentionWorker]:
    """The workers ``garrison serve`` starts for the event's checks (none without one)."""
    if loaded is None:
        return []
    config = loaded.config
    return [
        ProbeWorker(context, config=config),
        ProbeRetentionWorker(context, retention_days=config.probes.retention_days),
    ]
