"""Time to detect: a target that stops answering must be DOWN within interval x fail_after + 1 s.

Real clock, real engine (``ProbeWorker`` with the HTTP runner, writing to SQLite and
publishing on the bus), real targets: demo-lab web sites on 127.0.0.1. Each round,
every target stops answering (HANG) at a random moment, and the time until its
check's DOWN is published is taken; then it answers again and must be UP before the
next round. Several targets run in parallel to keep the bench short.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

from bench.results import Measurement, percentile
from garrison.bus.abc import Subscription
from garrison.clock import SystemClock
from garrison.config import EventConfig
from garrison.demo.lab import FaultKind, HttpSite, SitePage
from garrison.probes.events import CheckStateChanged
from garrison.probes.states import CheckState
from garrison.probes.worker import ProbeWorker
from garrison.runtime.assembly import open_context
from garrison.runtime.context import AppContext
from garrison.settings import Settings
from garrison.storage.migrate import upgrade

NAME = "time_to_detect"
TARGETS = 25
ROUNDS = 4
INTERVAL_SECONDS = 1.0
TIMEOUT_SECONDS = 0.5
FAIL_AFTER = 2
BOUND_SECONDS = INTERVAL_SECONDS * FAIL_AFTER + 1
WAIT_SECONDS = 30.0
_PAGE = SitePage(
    title="Bench target",
    heading_vi="Mục tiêu",
    heading_en="Target",
    paragraphs_vi=("Mục tiêu đo thời gian phát hiện.",),
    paragraphs_en=("A target for the time-to-detect bench.",),
)


class _StateWatch:
    """The moment (monotonic clock) each check reached each state, from the bus."""

    def __init__(self) -> None:
        self._reached: dict[tuple[str, str], asyncio.Future[float]] = {}

    def expect(self, check_id: str, state: CheckState) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._reached[(check_id, state.value)] = future
        return future

    async def follow(self, subscription: Subscription[CheckStateChanged]) -> None:
        async for event in subscription:
            future = self._reached.pop((event.check_id, event.current), None)
            if future is not None and not future.done():
                future.set_result(time.monotonic())


def _config(sites: list[HttpSite]) -> EventConfig:
    checks = [
        {
            "id": site.name,
            "type": "http",
            "url": f"http://127.0.0.1:{site.port}/healthz",
            "interval": INTERVAL_SECONDS,
            "timeout": TIMEOUT_SECONDS,
            "fail_after": FAIL_AFTER,
            "recover_after": 1,
        }
        for site in sites
    ]
    return EventConfig.model_validate(
        {
            "event": {
                "id": "bench",
                "name": "Time to detect",
                "timezone": "UTC",
                "start": "2026-01-01T00:00:00",
                "end": "2030-01-01T00:00:00",
            },
            "checks": checks,
            # Every target fails and recovers ROUNDS times: that is the test, not flapping.
            "probes": {"flapping": {"window": 60, "max_changes": 1000}},
        }
    )


@contextlib.asynccontextmanager
async def _targets() -> AsyncIterator[list[HttpSite]]:
    sites = [HttpSite(name=f"target-{index:02d}", port=0, page=_PAGE) for index in range(TARGETS)]
    try:
        for site in sites:
            await site.start()
        yield sites
    finally:
        for site in sites:
            await site.stop()


@contextlib.asynccontextmanager
async def _engine(context: AppContext, config: EventConfig) -> AsyncIterator[None]:
    worker = ProbeWorker(context, config=config)
    started = asyncio.Event()
    task = asyncio.create_task(worker.run(started.set))
    try:
        async with asyncio.timeout(WAIT_SECONDS):
            await started.wait()
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _one_outage(site: HttpSite, watch: _StateWatch, rng: random.Random) -> float:
    """Seconds from the target going silent to its check's DOWN; it is UP again on return."""
    await asyncio.sleep(rng.uniform(0, INTERVAL_SECONDS))  # a random phase against the grid
    down = watch.expect(site.name, CheckState.DOWN)
    await site.set_fault(FaultKind.HANG)
    silent_at = time.monotonic()
    async with asyncio.timeout(WAIT_SECONDS):
        detected_at = await down
    up = watch.expect(site.name, CheckState.UP)
    await site.set_fault(None)
    async with asyncio.timeout(WAIT_SECONDS):
        await up
    return detected_at - silent_at


async def run() -> list[Measurement]:
    rng = random.Random(20261012)
    with tempfile.TemporaryDirectory(prefix="garrison-bench-detect-") as directory:
        settings = Settings(data_dir=Path(directory))
        async with open_context(settings, clock=SystemClock()) as context, _targets() as sites:
            await upgrade(context.engine)
            watch = _StateWatch()
            subscription = context.bus.subscribe(CheckStateChanged, consumer="bench")
            follower = asyncio.create_task(watch.follow(subscription))
            ups = [watch.expect(site.name, CheckState.UP) for site in sites]
            try:
                async with _engine(context, _config(sites)):
                    async with asyncio.timeout(WAIT_SECONDS):
                        await asyncio.gather(*ups)
                    detections: list[float] = []
                    for _round in range(ROUNDS):
                        detections += await asyncio.gather(
                            *(_one_outage(site, watch, rng) for site in sites)
                        )
            finally:
                follower.cancel()
                await subscription.close()
    within = sum(1 for seconds in detections if seconds <= BOUND_SECONDS)
    bound = f"<= {BOUND_SECONDS:g} s"
    return [
        Measurement(NAME, "outages induced", float(len(detections)), "outages", ">= 100"),
        Measurement(NAME, "detection p50", percentile(detections, 0.5), "s", bound),
        Measurement(NAME, "detection p99", percentile(detections, 0.99), "s", bound),
        Measurement(NAME, "detection max", max(detections), "s", bound),
        Measurement(NAME, "detected within the bound", within / len(detections) * 100, "%", "100"),
    ]
