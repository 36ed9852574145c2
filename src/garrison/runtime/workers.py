"""Background workers: started in order, watched, restarted after a failure, stopped in reverse.

A worker is anything with a ``name`` and an ``async run(started)`` that calls
``started()`` once it is serving and then runs until cancelled. One worker's
failure is logged, counted and retried with backoff: it never ends the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Protocol

from garrison.runtime.context import WorkerHealth
from garrison.telemetry.instruments import CoreMetrics

logger = logging.getLogger(__name__)

START_TIMEOUT_SECONDS = 30.0
MAX_BACKOFF_SECONDS = 30.0


class Worker(Protocol):
    name: str

    async def run(self, started: Callable[[], None]) -> None: ...


class WorkerStartError(RuntimeError):
    pass


@contextlib.asynccontextmanager
async def supervise(
    workers: Sequence[Worker],
    *,
    health: WorkerHealth,
    metrics: CoreMetrics,
    start_timeout: float = START_TIMEOUT_SECONDS,
) -> AsyncIterator[None]:
    health.expected = tuple(worker.name for worker in workers)
    tasks: list[asyncio.Task[None]] = []
    try:
        for worker in workers:
            first_start = asyncio.Event()
            task = asyncio.create_task(
                _keep_running(worker, health=health, metrics=metrics, first_start=first_start),
                name=f"worker:{worker.name}",
            )
            tasks.append(task)
            await _wait_started(worker.name, first_start, task, start_timeout)
        yield
    finally:
        health.stopping = True
        for task in reversed(tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for worker in workers:
            health.running.discard(worker.name)
            metrics.workers_running.labels(worker.name).set(0)


async def _wait_started(
    name: str, started: asyncio.Event, task: asyncio.Task[None], limit: float
) -> None:
    waiter = asyncio.create_task(started.wait())
    try:
        done, _pending = await asyncio.wait(
            {waiter, task}, timeout=limit, return_when=asyncio.FIRST_COMPLETED
        )
    finally:
        waiter.cancel()
    if waiter not in done or not started.is_set():
        raise WorkerStartError(f"worker {name!r} did not start within {limit:.0f} s")


async def _keep_running(
    worker: Worker, *, health: WorkerHealth, metrics: CoreMetrics, first_start: asyncio.Event
) -> None:
    failures = 0
    while True:

        def mark_started() -> None:
            health.running.add(worker.name)
            metrics.workers_running.labels(worker.name).set(1)
            first_start.set()

        try:
            await worker.run(mark_started)
            logger.warning("worker %s returned; restarting it", worker.name)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("worker %s failed; restarting it", worker.name)
        health.running.discard(worker.name)
        metrics.workers_running.labels(worker.name).set(0)
        metrics.worker_restarts.labels(worker.name).inc()
        failures += 1
        await asyncio.sleep(min(MAX_BACKOFF_SECONDS, 0.5 * 2 ** min(failures, 6)))
