"""CPU per HTTP probe: Prometheus blackbox_exporter and Garrison, against the same nginx target.

blackbox_exporter runs pinned to core 0 and is driven by a load generator in this
process, pinned to core 1 with nginx: many concurrent ``GET /probe?target=...&module=
http_2xx`` on keep-alive connections, as fast as it answers. Its CPU is read from /proc
(utime + stime) around a fixed number of probes. Garrison then runs pinned to core 0
too, in a child process: the whole engine (scheduling, request, assertions, storage)
at a steady 2,000 checks/s (the same order of rate; the ratio is taken there) and at
1,000/s, and the HTTP runner alone. Reference measured before: blackbox 0.50-0.61 ms
per probe; the goal is Garrison at half of blackbox or less.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from collections.abc import Iterator
from urllib.parse import urlencode

from bench.local_servers import MissingTool, RunningServer, blackbox_exporter, cpu_seconds, nginx
from bench.probe_engine import (
    EngineOptions,
    EngineStats,
    RunnerOptions,
    measure_engine,
    measure_runner,
)
from bench.results import Measurement

NAME = "blackbox_compare"
BLACKBOX_PROBES = 20_000
WARMUP_PROBES = 1_000
CONCURRENCY = 32
# blackbox_exporter is driven as fast as it answers (about 2,000 probes/s on one core
# here); the engine runs at the same order of rate, the 2,000 checks/s, and,
# for comparison with earlier runs, at half of it.
ENGINE_CHECKS = 10_000
ENGINE_CHECKS_HALF_RATE = 5_000
ENGINE_INTERVAL_SECONDS = 5.0
ENGINE_WARMUP_SECONDS = 10.0
ENGINE_SECONDS = 20.0
RUNNER_RUNS = 20_000
MEASURED_CORE = 0
DRIVER_CORE = 1
_MAX_RESPONSE_BYTES = 1024 * 1024


async def run() -> list[Measurement]:
    load = os.getloadavg()[0]
    try:
        async with nginx(ports=1, core=DRIVER_CORE) as target:
            url = target.urls()[0]
            with _pinned(DRIVER_CORE):
                async with blackbox_exporter(core=MEASURED_CORE) as blackbox:
                    blackbox_ms, blackbox_rate = await _drive_blackbox(blackbox, url)
            engine = await _engine(ENGINE_CHECKS, url)
            half_rate = await _engine(ENGINE_CHECKS_HALF_RATE, url)
            runner_ms = await measure_runner(
                RunnerOptions(
                    url=url, runs=RUNNER_RUNS, concurrency=CONCURRENCY, core=MEASURED_CORE
                )
            )
    except MissingTool as missing:
        print(f"{NAME}: skipped: {missing}", file=sys.stderr)
        return []
    half = f"<= {blackbox_ms / 2:.2f} ms (half of blackbox)"
    return [
        Measurement(NAME, "blackbox_exporter CPU per probe", blackbox_ms, "ms", "ref. 0.50-0.61"),
        Measurement(NAME, "blackbox_exporter probes/s (driven)", blackbox_rate, "probes/s"),
        Measurement(
            NAME,
            f"Garrison engine CPU per check ({engine.checks_per_second:,.0f}/s, "
            f"{engine.event_loop} event loop)",
            engine.cpu_ms_per_check,
            "ms",
            half,
        ),
        Measurement(
            NAME,
            f"Garrison engine CPU per check ({half_rate.checks_per_second:,.0f}/s)",
            half_rate.cpu_ms_per_check,
            "ms",
        ),
        Measurement(NAME, "Garrison HTTP runner alone, CPU per run", runner_ms, "ms", half),
        Measurement(
            NAME,
            "Garrison engine / blackbox",
            engine.cpu_ms_per_check / blackbox_ms,
            "ratio",
            "<= 0.5",
        ),
        Measurement(NAME, "machine load average at start (1 min)", load, "runnable", "< 1"),
    ]


async def _engine(checks: int, url: str) -> EngineStats:
    return await measure_engine(
        EngineOptions(
            urls=[url],
            checks=checks,
            interval=ENGINE_INTERVAL_SECONDS,
            timeout=4.0,
            warmup=ENGINE_WARMUP_SECONDS,
            seconds=ENGINE_SECONDS,
            core=MEASURED_CORE,
        )
    )


@contextlib.contextmanager
def _pinned(core: int) -> Iterator[None]:
    """This process on ``core`` for the block (when it has that core)."""
    before = os.sched_getaffinity(0)
    if core not in before:
        yield
        return
    os.sched_setaffinity(0, {core})
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


async def _drive_blackbox(blackbox: RunningServer, target_url: str) -> tuple[float, float]:
    """CPU milliseconds per probe of blackbox_exporter, and the rate it was driven at."""
    query = urlencode({"target": target_url, "module": "http_2xx"})
    request = (
        f"GET /probe?{query} HTTP/1.1\r\nHost: 127.0.0.1:{blackbox.ports[0]}\r\n\r\n"
    ).encode("ascii")
    await _probe_many(blackbox.ports[0], request, WARMUP_PROBES)
    cpu_before, wall_before = cpu_seconds(blackbox.pid), time.perf_counter()
    await _probe_many(blackbox.ports[0], request, BLACKBOX_PROBES)
    cpu_after, wall_after = cpu_seconds(blackbox.pid), time.perf_counter()
    return (
        (cpu_after - cpu_before) * 1000 / BLACKBOX_PROBES,
        BLACKBOX_PROBES / (wall_after - wall_before),
    )


async def _probe_many(port: int, request: bytes, count: int) -> None:
    """``count`` probes over CONCURRENCY keep-alive connections; each must report success."""
    remaining = [count]

    async def connection() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while remaining[0] > 0:
                remaining[0] -= 1
                writer.write(request)
                body = await _read_response(reader)
                if b"\nprobe_success 1" not in body:
                    raise RuntimeError(f"blackbox probe failed: {body[-500:]!r}")
        finally:
            writer.close()
            await writer.wait_closed()

    await asyncio.gather(*(connection() for _ in range(CONCURRENCY)))


async def _read_response(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = None
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    if length is not None:
        if length > _MAX_RESPONSE_BYTES:
            raise RuntimeError("blackbox answered too much")
        return await reader.readexactly(length)
    return await _read_chunked(reader)


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    body = bytearray()
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        chunk = await reader.readexactly(size + 2)
        if size == 0:
            return bytes(body)
        body += chunk[:-2]
        if len(body) > _MAX_RESPONSE_BYTES:
            raise RuntimeError("blackbox answered too much")
