"""10,000 HTTP checks every 5 s against nginx on loopback: the engine on one core.

The engine (scheduler, HTTP runner, assertions, judgement, batch writer to SQLite)
runs in a child process pinned to core 0; nginx runs pinned to core 1. Measured
after a warm-up (the machine's load is reported too: other work on the cores
skews every number): checks per second achieved, CPU milliseconds per check (the
engine process's CPU time over the checks it ran), schedule lag, peak RSS.
"""

from __future__ import annotations

import os
import sys

from bench.local_servers import MissingTool, nginx
from bench.probe_engine import EngineOptions, EngineStats, measure_engine
from bench.results import Measurement

CHECKS = 10_000
INTERVAL_SECONDS = 5.0
TIMEOUT_SECONDS = 4.0
NGINX_PORTS = 8
WARMUP_SECONDS = 15.0
MEASURE_SECONDS = 30.0
ENGINE_CORE = 0
SERVER_CORE = 1
NAME = "probe_throughput"


async def run() -> list[Measurement]:
    load = os.getloadavg()[0]
    try:
        async with nginx(ports=NGINX_PORTS, core=SERVER_CORE) as server:
            stats = await measure_engine(
                EngineOptions(
                    urls=server.urls(),
                    checks=CHECKS,
                    interval=INTERVAL_SECONDS,
                    timeout=TIMEOUT_SECONDS,
                    warmup=WARMUP_SECONDS,
                    seconds=MEASURE_SECONDS,
                    core=ENGINE_CORE,
                )
            )
    except MissingTool as missing:
        print(f"{NAME}: skipped: {missing}", file=sys.stderr)
        return []
    return [
        *report(NAME, stats, offered=CHECKS / INTERVAL_SECONDS),
        Measurement(NAME, "machine load average at start (1 min)", load, "runnable", "< 1"),
    ]


def report(bench: str, stats: EngineStats, *, offered: float) -> list[Measurement]:
    def measured(metric: str, value: float, unit: str, target: str = "") -> Measurement:
        return Measurement(bench, metric, value, unit, target)

    return [
        measured(
            f"checks/s achieved ({offered:,.0f} offered, {stats.event_loop} event loop)",
            stats.checks_per_second,
            "checks/s",
            ">= 2,000 on one core",
        ),
        measured("CPU per check (engine process)", stats.cpu_ms_per_check, "ms"),
        measured("engine CPU use", stats.cpu_seconds / stats.wall_seconds * 100, "% of a core"),
        measured("schedule lag p50", stats.lag_p50_ms, "ms"),
        measured("schedule lag p99", stats.lag_p99_ms, "ms", "< 1,000 ms"),
        measured("schedule lag max", stats.lag_max_ms, "ms"),
        *(
            measured(f"runs ending {kind}", float(count), "runs", "0" if kind != "ok" else "")
            for kind, count in sorted(stats.outcomes.items())
        ),
        measured("results dropped by the writer", stats.results_dropped, "results", "0"),
        measured("peak RSS (engine process)", stats.peak_rss_mb, "MB", "< 500 MB"),
        measured("engine start", stats.startup_seconds, "s"),
    ]
