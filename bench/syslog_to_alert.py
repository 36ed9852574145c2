"""Syslog in → detection alert: a real `garrison serve` with a syslog UDP source.

A sender on 127.0.0.1 sends sshd lines at a steady rate for a bounded time. One
line in ``fire_every`` is a root login from an address never seen before, which the
"Administrator login from a new address" detector turns into a detection alert;
the others are everyday session lines that match nothing. Each firing line's
address is its own, so each firing line is exactly one alert.

Latency runs from just before the line is sent to the alert's ``first_seen_at``:
the time the detection worker stamps in the transaction after whose commit it
publishes ``DetectionAlertRaised`` (read from the database once the run is over, so
that observing costs the server nothing). Lines the server did not count
(``garrison_ingest_events_total``) were dropped on the way in; expected alerts not
stored were lost. Run: ``python -m bench.syslog_to_alert [per_second] [seconds]``.
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import select

from bench.escalation_support import (
    bench_settings,
    empty_database,
    free_port,
    garrison_serve,
)
from bench.results import Measurement, percentile
from garrison.detection.alerts.models import DetectionAlert
from garrison.storage.engine import create_engine, create_session_factory

NAME = "syslog_to_alert"
RATE = 10_000
SECONDS = 10
FIRE_EVERY = 200  # 50 alerts/s at 10,000 lines/s: 500 alerts in 10 s
TICK_SECONDS = 0.01
DRAIN_SECONDS = 60.0
SOURCE = "bench-syslog"
# Documentation ranges only: 762 addresses, one alert each.
ADDRESSES = [
    f"{prefix}.{host}"
    for prefix in ("192.0.2", "198.51.100", "203.0.113")
    for host in range(1, 255)
]
_COUNTED = re.compile(
    r'^garrison_ingest_events_total\{source="' + SOURCE + r'"\} (?P<value>[0-9.e+]+)$', re.M
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


def _line(stamp: str, index: int, address: str | None) -> bytes:
    if address is not None:
        body = f"sshd[{index % 30000}]: Accepted password for root from {address} port 4022 ssh2"
    else:
        body = f"sshd[{index % 30000}]: pam_unix(sshd:session): session closed for user deploy"
    return f"<38>{stamp} gw01 {body}".encode()


async def _send(
    port: int, rate: int, seconds: int, fire_every: int
) -> tuple[int, dict[str, float]]:
    """Lines sent, and when (Unix time) the line of each firing address was sent."""
    sent_at: dict[str, float] = {}
    total = rate * seconds
    per_tick = max(1, round(rate * TICK_SECONDS))
    limit = min(total // fire_every, len(ADDRESSES))
    loop = asyncio.get_running_loop()
    start = loop.time()
    sent = 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        sender.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 * 1024 * 1024)
        while sent < total:
            now = datetime.now(UTC)
            stamp = f"{now:%b} {now.day:2d} {now:%H:%M:%S}"  # RFC 3164: "Jun  1 08:00:00"
            for _ in range(min(per_tick, total - sent)):
                fires = sent % fire_every == fire_every - 1 and len(sent_at) < limit
                address = ADDRESSES[len(sent_at)] if fires else None
                if address is not None:
                    sent_at[address] = time.time()
                sender.sendto(_line(stamp, sent, address), ("127.0.0.1", port))
                sent += 1
            # Steady pace: each tick is due at its own time, not after the last one.
            due = start + (sent / per_tick) * TICK_SECONDS
            await asyncio.sleep(max(0.0, due - loop.time()))
    return sent, sent_at


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
        async with (
            garrison_serve(directory, config) as url,
            httpx.AsyncClient(base_url=url, timeout=30) as client,
        ):
            sent, sent_at = await _send(port, rate, seconds, fire_every)
            counted = await _wait_counted(client, sent)
            raised = await _raised(settings.resolved_database_url, len(sent_at))
    latencies = [
        (raised[address] - sent_at[address]) * 1000 for address in sent_at if address in raised
    ]
    target = f"{rate:,}/s"
    return [
        Measurement(NAME, f"lines sent at {rate:,}/s for {seconds} s", float(sent), "lines"),
        Measurement(NAME, "lines counted by the server", counted, "lines", target),
        Measurement(NAME, "lines dropped", sent - counted, "lines", "0"),
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
