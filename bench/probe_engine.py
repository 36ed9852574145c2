"""The whole probe engine (scheduler, HTTP runner, judgement, batch writer to SQLite) under load.

Run in a child process of its own, pinned to one core, so that what it measures is
the engine alone: ``python -m bench.probe_engine engine|runner '<json options>'``
prints one JSON line of results. The benches start it through
:func:`measure_engine` (the whole engine) and :func:`measure_runner` (the HTTP
runner alone, for comparison).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import resource
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path

from bench.results import percentile
from garrison.config import EventConfig
from garrison.config.checks import HttpCheck
from garrison.probes.metrics import ProbeMetrics, register_probe_metrics
from garrison.probes.results import CheckResult, RunContext
from garrison.probes.runners import run_check
from garrison.probes.worker import ProbeWorker
from garrison.runtime import loop
from garrison.runtime.assembly import open_context
from garrison.settings import Settings
from garrison.storage.migrate import upgrade

_START_TIMEOUT_SECONDS = 120.0
_ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True, slots=True)
class EngineOptions:
    urls: list[str]
    checks: int
    interval: float
    timeout: float
    warmup: float
    seconds: float
    core: int | None


@dataclass(frozen=True, slots=True)
class EngineStats:
    runs: int
    wall_seconds: float
    cpu_seconds: float
    lag_p50_ms: float
    lag_p99_ms: float
    lag_max_ms: float
    peak_rss_mb: float
    results_dropped: float
    startup_seconds: float
    outcomes: dict[str, int]
    """Runs by outcome: ok, failed (the target failed), timeout, error, overlap."""
    failure_reasons: dict[str, int]
    """The most frequent reasons the runner gave for failed runs."""
    event_loop: str = "asyncio"
    """The event loop the engine ran on: ``uvloop`` or ``asyncio`` (``garrison.runtime.loop``)."""

    @property
    def checks_per_second(self) -> float:
        return self.runs / self.wall_seconds

    @property
    def cpu_ms_per_check(self) -> float:
        return self.cpu_seconds * 1000 / max(1, self.runs)


async def measure_engine(options: EngineOptions) -> EngineStats:
    """Run the engine in a child process with ``options``; its statistics."""
    return EngineStats(**json.loads(await _child("engine", asdict(options))))


@dataclass(frozen=True, slots=True)
class _RecordingMetrics(ProbeMetrics):
    """The engine's own instruments, also keeping every run's exact lag and outcome."""

    lags: list[float]
    kinds: list[str]
    reasons: Counter[str]

    def observe_result(self, check_id: str, result: CheckResult) -> None:
        ProbeMetrics.observe_result(self, check_id, result)
        if not result.ok:
            self.reasons[result.reason[:60]] += 1

    def observe_run(
        self, *, check_type: str, kind: str, planned: datetime, started: datetime
    ) -> None:
        ProbeMetrics.observe_run(
            self, check_type=check_type, kind=kind, planned=planned, started=started
        )
        self.lags.append((started - planned).total_seconds())
        self.kinds.append(kind)


def _config(options: EngineOptions) -> EventConfig:
    checks = [
        {
            "id": f"bench-{index:05d}",
            "type": "http",
            "url": options.urls[index % len(options.urls)],
            "interval": options.interval,
            "timeout": options.timeout,
            "fail_after": 2,
            "expect_status": [200],
            "json_path_equals": {"status": "ok"},
        }
        for index in range(options.checks)
    ]
    return EventConfig.model_validate(
        {
            "event": {
                "id": "bench",
                "name": "Probe bench",
                "timezone": "UTC",
                "start": "2026-01-01T00:00:00",
                "end": "2030-01-01T00:00:00",
            },
            "checks": checks,
        }
    )


async def _run(options: EngineOptions) -> EngineStats:
    config = _config(options)
    with tempfile.TemporaryDirectory(prefix="garrison-bench-engine-") as directory:
        async with open_context(Settings(data_dir=Path(directory))) as context:
            await upgrade(context.engine)
            base = register_probe_metrics(context.registry)
            metrics = _RecordingMetrics(
                **{field.name: getattr(base, field.name) for field in fields(ProbeMetrics)},
                lags=[],
                kinds=[],
                reasons=Counter(),
            )
            # The engine as it runs in production (its own runner), failure reasons
            # counted from the results it hands to its metrics.
            worker = ProbeWorker(context, config=config, metrics=metrics)
            started = asyncio.Event()
            began = time.perf_counter()
            task = asyncio.create_task(worker.run(started.set))
            try:
                async with asyncio.timeout(_START_TIMEOUT_SECONDS):
                    await started.wait()
                startup = time.perf_counter() - began
                await asyncio.sleep(options.warmup)
                first_run = len(metrics.lags)
                cpu_before, wall_before = time.process_time(), time.perf_counter()
                await asyncio.sleep(options.seconds)
                cpu_after, wall_after = time.process_time(), time.perf_counter()
                last_run = len(metrics.lags)
                dropped = context.registry.get_sample_value("garrison_probe_results_dropped_total")
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
    lags = metrics.lags[first_run:last_run]
    kinds = metrics.kinds[first_run:last_run]
    return EngineStats(
        runs=len(lags),
        wall_seconds=wall_after - wall_before,
        cpu_seconds=cpu_after - cpu_before,
        lag_p50_ms=percentile(lags, 0.5) * 1000,
        lag_p99_ms=percentile(lags, 0.99) * 1000,
        lag_max_ms=max(lags, default=float("nan")) * 1000,
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        results_dropped=dropped or 0.0,
        startup_seconds=startup,
        outcomes=dict(Counter(kinds)),
        failure_reasons=dict(metrics.reasons.most_common(5)),
        event_loop=loop.loop_name(),
    )


@dataclass(frozen=True, slots=True)
class RunnerOptions:
    url: str
    runs: int
    concurrency: int
    core: int | None


async def measure_runner(options: RunnerOptions) -> float:
    """CPU milliseconds per run of the HTTP runner alone (no scheduling, no storage)."""
    stdout = await _child("runner", asdict(options))
    return float(json.loads(stdout)["cpu_ms_per_run"])


async def _child(mode: str, options: dict[str, object]) -> str:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.probe_engine",
        mode,
        json.dumps(options),
        stdout=asyncio.subprocess.PIPE,
        cwd=_ROOT,
    )
    stdout, _ = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"the {mode} bench process failed ({process.returncode})")
    return stdout.decode("utf-8").strip().splitlines()[-1]


async def _run_runner(options: RunnerOptions) -> float:
    check = HttpCheck(
        id="bench",
        type="http",
        url=options.url,
        timeout=5,
        json_path_equals={"status": "ok"},
    )
    slots = asyncio.Semaphore(options.concurrency)
    failures = 0

    async def one() -> None:
        nonlocal failures
        async with slots:
            run = RunContext(location="local", started_at=datetime.now(UTC))
            failures += not (await run_check(check, run=run)).ok

    await asyncio.gather(*(one() for _ in range(options.concurrency)))  # warm-up
    before = time.process_time()
    await asyncio.gather(*(one() for _ in range(options.runs)))
    spent = time.process_time() - before
    if failures:
        raise RuntimeError(f"{failures} runs of the HTTP runner failed")
    return spent * 1000 / options.runs


def _pin(core: int | None) -> None:
    if core is not None and core in os.sched_getaffinity(0):
        # Before any thread exists (the SQLite driver's, the resolver's): they inherit it.
        os.sched_setaffinity(0, {core})


def main(mode: str, argument: str) -> None:
    if mode == "engine":
        options = EngineOptions(**json.loads(argument))
        _pin(options.core)
        print(json.dumps(asdict(loop.run(_run(options)))))
    else:
        runner = RunnerOptions(**json.loads(argument))
        _pin(runner.core)
        print(json.dumps({"cpu_ms_per_run": loop.run(_run_runner(runner))}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
