"""Syslog in → detection alert: a real `garrison serve` with a syslog UDP source.

The load generator (``bench.syslog_sender``) is its own process, pinned to the last
core, with every datagram built before the first is sent; the server is pinned to the
first core (every thread), so the two do not share a core on a 2-core machine. One
line in ``fire_every`` is a root login from an address never seen before, which the
"Administrator login from a new address" detector turns into a detection alert; the
others are everyday session lines that match nothing. Each firing line's address is
its own, so each firing line is exactly one alert.

Latency runs from just before the line is sent to the alert's ``first_seen_at``:
the time the detection worker stamps in the transaction after whose commit it
publishes ``DetectionAlertRaised`` (read from the database once the run is over, so
that observing costs the server nothing). Lines the server did not count
(``garrison_ingest_events_total``) were dropped on the way in, each counted by reason
(``garrison_ingest_dropped_total``); expected alerts not stored were lost. The
server's CPU time (``/proc/PID/stat``) over the run, divided by the lines it counted,
is its cost per line; the sender reports its own.
Run: ``python -m bench.syslog_to_alert [per_second] [seconds]``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import sys
import tempfile
from pathlib import Path

import httpx
from sqlalchemy import select

from bench.escalation_support import (
    bench_settings,
    empty_database,
    free_port,
    garrison_server,
)
from bench.results import Measurement, percentile
from bench.syslog_sender import run_sender
from garrison.detection.alerts.models import DetectionAlert
from garrison.storage.engine import create_engine, create_session_factory

NAME = "syslog_to_alert"
RATE = 10_000
SECONDS = 30
FIRE_EVERY = 200  # 50 alerts/s at 10,000 lines/s (762 addresses: the first 15 s fire)
DRAIN_SECONDS = 60.0
SOURCE = "bench-syslog"
_COUNTED = re.compile(
    r'^garrison_ingest_events_total\{source="' + SOURCE + r'"\} (?P<value>[0-9.e+]+)$', re.M
)
_DROPPED = re.compile(
    r'^garrison_ingest_dropped_total\{reason="(?P<reason>[a-z_]+)",source="'
    + SOURCE
    + r'"\} (?P<value>[0-9.e+]+)$',
    re.M,
)

CONFIG = """\
event:
  id: bench
  name: Syslog to alert
  timezone: UTC
  start: 2026-01-01T00:00:00
  end: 2030-01-01T00:00:00
detection:
  sources:
    - name: {source}
      type: syslog_udp
      port: {port}
      logsource: {{product: linux}}
"""


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, all its threads."""
    fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pin_to_first_core(pid: int) -> bool:
    """Every thread of the server on the first core (the sender takes the last one)."""
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < 2 or os.environ.get("BENCH_NO_PIN"):
        return False
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            os.sched_setaffinity(int(task.name), {cores[0]})
    return True


def _dropped(text: str) -> dict[str, float]:
    return {found.group("reason"): float(found.group("value")) for found in _DROPPED.finditer(text)}


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def _counted(client: httpx.AsyncClient) -> float:
    found = _COUNTED.search((await client.get("/metrics")).text)
    return float(found.group("value")) if found else 0.0


async def _wait_counted(client: httpx.AsyncClient, sent: int) -> float:
    """Lines the server counted once it stops counting more (or has them all)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DRAIN_SECONDS
    last = -1.0
    while loop.time() < deadline:
        counted = await _counted(client)
        if counted >= sent or counted == last:
            return counted
        last = counted
        await asyncio.sleep(1.0)  # a separate process: polling its metrics is the only way
    return last


async def _raised(url: str, expected: int) -> dict[str, float]:
    """Address → the alert's first_seen_at (Unix time), once all are in or the drain ends."""
    engine = create_engine(url)
    sessions = create_session_factory(engine)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DRAIN_SECONDS
    found: dict[str, float] = {}
    try:
        while True:
            async with sessions() as session:
                rows = await session.execute(
                    select(DetectionAlert.source_address, DetectionAlert.first_seen_at)
                )
                found = {address: at.timestamp() for address, at in rows if address}
            if len(found) >= expected or loop.time() > deadline:
                return found
            await asyncio.sleep(1.0)  # the server is another process: poll its database
    finally:
        await engine.dispose()


async def run(
    rate: int = RATE, seconds: int = SECONDS, fire_every: int = FIRE_EVERY
) -> list[Measurement]:
    # The server is another process: its metrics are how the bench sees what it counted.
    os.environ.setdefault("GARRISON_METRICS_PUBLIC", "true")
    with tempfile.TemporaryDirectory(prefix="garrison-bench-syslog-") as name:
        directory = Path(name)
        settings = bench_settings(directory)
        await empty_database(settings)
        port = free_port()
        config = directory / "event.yaml"
        config.write_text(CONFIG.format(source=SOURCE, port=port), encoding="utf-8")
        load = os.getloadavg()[0]
        async with (
            garrison_server(directory, config) as served,
            httpx.AsyncClient(base_url=served.url, timeout=30) as client,
        ):
            pinned = _pin_to_first_core(served.pid)
            cpu_before = _cpu_seconds(served.pid)
            report = await run_sender(port, rate, seconds, fire_every)
            sent, sent_at = report.sent, report.sent_at
            counted = await _wait_counted(client, sent)
            raised = await _raised(settings.resolved_database_url, len(sent_at))
            server_cpu = _cpu_seconds(served.pid) - cpu_before
            dropped = _dropped((await client.get("/metrics")).text)
            rss = _peak_rss_mb(served.pid)
    latencies = [
        (raised[address] - sent_at[address]) * 1000 for address in sent_at if address in raised
    ]
    target = f"{rate:,}/s"
    return [
        Measurement(NAME, "load average (1 min) at start", load, ""),
        Measurement(NAME, "server pinned to core 0, sender to the last", float(pinned), "yes=1"),
        Measurement(NAME, f"lines sent at {rate:,}/s for {seconds} s", float(sent), "lines"),
        Measurement(NAME, "lines counted by the server", counted, "lines", target),
        Measurement(NAME, "lines dropped", sent - counted, "lines", "0"),
        *(
            Measurement(NAME, f"  counted as dropped: {reason}", value, "lines")
            for reason, value in sorted(dropped.items())
        ),
        Measurement(NAME, "server CPU per line counted", server_cpu / max(counted, 1) * 1e6, "µs"),
        Measurement(NAME, "sender CPU per line", report.cpu_seconds / max(sent, 1) * 1e6, "µs"),
        Measurement(NAME, "server peak RSS", rss, "MB", "< 500"),
        Measurement(NAME, "alerts expected", float(len(sent_at)), "alerts"),
        Measurement(NAME, "alerts raised", float(len(latencies)), "alerts", "= expected"),
        Measurement(NAME, "line → alert p50", percentile(latencies, 0.5), "ms"),
        Measurement(NAME, "line → alert p99", percentile(latencies, 0.99), "ms", "< 1000"),
        Measurement(NAME, "line → alert max", max(latencies, default=float("nan")), "ms"),
    ]


if __name__ == "__main__":
    from bench.results import print_table

    arguments = [int(value) for value in sys.argv[1:4]]
    print_table(asyncio.run(run(*arguments)))
