"""CPU per event of syslog intake + parsing + raw storage + detection + alert publication.

The ingest and detection workers run in this process (on core 0 when there are two
cores) over SQLite, with a syslog UDP source on 127.0.0.1; the load generator
(``bench.syslog_sender``) is another process on the other core. This process's CPU
time (all its threads) from the first line to the last stored event and published
alert, divided by the lines it counted, is the path's cost per event; the latency of
each alert runs from just before its line is sent to its ``DetectionAlertRaised``
arriving on the bus. Run: ``python -m bench.syslog_path_cpu [per_second] [seconds]``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

from prometheus_client import CollectorRegistry

from bench.escalation_support import free_port
from bench.results import Measurement, percentile
from bench.syslog_sender import run_sender
from garrison.clock import SystemClock
from garrison.config.detection import DetectionSettings
from garrison.detection.engine.worker import DetectionWorker
from garrison.detection.events import DetectionAlertRaised
from garrison.detection.ingest.worker import IngestWorker
from garrison.runtime.assembly import open_context
from garrison.runtime.context import AppContext
from garrison.settings import Settings
from garrison.storage.migrate import upgrade

NAME = "syslog_path_cpu"
RATE = 10_000
SECONDS = 30
FIRE_EVERY = 200
SOURCE = "bench-syslog"
SETTLE_SECONDS = 30.0


def _value(registry: CollectorRegistry, name: str, **labels: str) -> float:
    return registry.get_sample_value(name, labels) or 0.0


def _dropped(registry: CollectorRegistry) -> dict[str, float]:
    """Lines dropped on the way in, by reason."""
    found: dict[str, float] = {}
    for family in registry.collect():
        if family.name == "garrison_ingest_dropped":
            for sample in family.samples:
                if sample.name.endswith("_total"):
                    reason = sample.labels["reason"]
                    found[reason] = found.get(reason, 0.0) + sample.value
    return found


@contextlib.asynccontextmanager
async def _workers(context: AppContext, port: int) -> AsyncIterator[IngestWorker]:
    settings = DetectionSettings.model_validate(
        {
            "sources": [
                {
                    "name": SOURCE,
                    "type": "syslog_udp",
                    "port": port,
                    "logsource": {"product": "linux"},
                }
            ]
        }
    )
    ingest = IngestWorker(context, settings=settings)
    detection = DetectionWorker(context, settings=settings)
    ready = [asyncio.Event(), asyncio.Event()]
    tasks = [
        asyncio.create_task(detection.run(ready[0].set)),
        asyncio.create_task(ingest.run(ready[1].set)),
    ]
    try:
        async with asyncio.timeout(60):
            for event in ready:
                await event.wait()
        yield ingest
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def _collect(context: AppContext, arrived: dict[str, float]) -> None:
    subscription = context.bus.subscribe(DetectionAlertRaised, consumer="bench")
    try:
        async for alert in subscription:
            if alert.source_address:
                arrived.setdefault(alert.source_address, time.time())
    finally:
        await subscription.close()


async def _settled(
    context: AppContext, ingest: IngestWorker, arrived: dict[str, float], expected: int
) -> None:
    """Until the queue is empty, the store has written everything and the alerts are in."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SETTLE_SECONDS
    while loop.time() < deadline:
        depth = _value(context.registry, "garrison_detection_queue_depth")
        store = ingest.store
        if depth == 0 and (store is None or store.buffered == 0) and len(arrived) >= expected:
            if store is not None:
                await store.wait_idle()
            return
        await asyncio.sleep(0.05)


async def run(rate: int = RATE, seconds: int = SECONDS) -> list[Measurement]:
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) >= 2:
        # Before any worker thread starts: threads inherit it.
        os.sched_setaffinity(0, {cores[0]})
    load = os.getloadavg()[0]
    try:
        with tempfile.TemporaryDirectory(prefix="garrison-bench-path-") as name:
            settings = Settings(data_dir=Path(name))
            async with open_context(settings, clock=SystemClock()) as context:
                await upgrade(context.engine)
                port = free_port()
                arrived: dict[str, float] = {}
                collector = asyncio.create_task(_collect(context, arrived))
                async with _workers(context, port) as ingest:
                    cpu_before = time.process_time()
                    wall_before = time.monotonic()
                    report = await run_sender(port, rate, seconds, FIRE_EVERY)
                    await _settled(context, ingest, arrived, len(report.sent_at))
                    cpu = time.process_time() - cpu_before
                    wall = time.monotonic() - wall_before
                registry = context.registry
                counted = _value(registry, "garrison_ingest_events_total", source=SOURCE)
                dropped = _dropped(registry)
                stored = _value(registry, "garrison_log_events_stored_total")
                store_dropped = {
                    reason: _value(
                        registry, "garrison_log_events_store_dropped_total", reason=reason
                    )
                    for reason in ("buffer_full", "write_failed")
                }
                collector.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await collector
    finally:
        os.sched_setaffinity(0, set(cores))
    latencies = [
        (arrived[address] - at) * 1000
        for address, at in report.sent_at.items()
        if address in arrived
    ]
    per_event = cpu / counted * 1e6 if counted else float("nan")
    sender_per_line = report.cpu_seconds / max(1, report.sent) * 1e6
    return [
        Measurement(NAME, "load average (1 min) at start", load, ""),
        Measurement(NAME, f"lines sent at {rate:,}/s for {seconds} s", float(report.sent), "lines"),
        Measurement(NAME, "lines counted", counted, "lines", f"{report.sent:,}"),
        Measurement(NAME, "lines dropped (counted)", sum(dropped.values()), "lines", "0"),
        *(
            Measurement(NAME, f"  of which {reason}", value, "lines")
            for reason, value in sorted(dropped.items())
        ),
        Measurement(NAME, "lines stored for search", stored, "lines"),
        *(
            Measurement(NAME, f"  not stored: {reason}", value, "lines")
            for reason, value in store_dropped.items()
        ),
        Measurement(NAME, "alerts expected", float(len(report.sent_at)), "alerts"),
        Measurement(NAME, "alerts on the bus", float(len(latencies)), "alerts", "= expected"),
        Measurement(NAME, "line → alert on the bus p50", percentile(latencies, 0.5), "ms"),
        Measurement(
            NAME, "line → alert on the bus p99", percentile(latencies, 0.99), "ms", "< 1000"
        ),
        Measurement(NAME, "server CPU per line", per_event, "µs"),
        Measurement(NAME, "server CPU use", cpu / wall * 100, "% of a core"),
        Measurement(NAME, "sender CPU per line", sender_per_line, "µs"),
        Measurement(
            NAME, "peak RSS", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "MB"
        ),
    ]


if __name__ == "__main__":
    from bench.results import print_table

    arguments = [int(value) for value in sys.argv[1:3]]
    print_table(asyncio.run(run(*arguments)))
