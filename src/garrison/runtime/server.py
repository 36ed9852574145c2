"""`garrison serve`: web app and workers in one process, ordered start, graceful stop.

Start: configuration validated (nothing written if invalid) → database migrated →
configuration synced → workers started one by one → HTTP listening. /readyz turns
ready only when every worker runs. Stop (SIGTERM/SIGINT): /readyz turns 503, the
HTTP server stops accepting and finishes the requests in flight, then workers are
stopped in reverse order and the database is closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import uvicorn

from garrison.audit.actor import Actor
from garrison.clock import Clock
from garrison.config import LoadedConfig, load_config
from garrison.detection.engine.worker import DetectionWorker
from garrison.detection.ingest.worker import IngestWorker
from garrison.duty.worker import DutyWorker
from garrison.escalation.workers import escalation_workers
from garrison.event.sync import sync_configuration
from garrison.incidents.worker import IncidentWorker
from garrison.probes.sync import sync_probes
from garrison.probes.worker import probe_workers
from garrison.readiness.workers import readiness_workers
from garrison.runtime.assembly import open_context
from garrison.runtime.context import AppContext
from garrison.runtime.housekeeping import HousekeepingWorker
from garrison.runtime.workers import Worker, supervise
from garrison.settings import Settings
from garrison.storage.migrate import upgrade
from garrison.web.app import create_app

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class ServeOptions:
    config_path: Path | None = None
    extra_workers: Callable[[AppContext], Sequence[Worker]] | None = None
    on_listening: Callable[[str], None] | None = None
    clock: Clock | None = None
    stop: asyncio.Event = field(default_factory=asyncio.Event)


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: our lifecycle owns the signals."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve(settings: Settings, options: ServeOptions) -> None:
    loaded = load_config(options.config_path) if options.config_path else None
    async with open_context(settings, clock=options.clock) as context:
        await upgrade(context.engine)
        if loaded is not None:
            await _sync(context, loaded, str(options.config_path))
        workers: list[Worker] = [HousekeepingWorker(context)]
        workers.append(IncidentWorker(context))
        workers.append(IngestWorker(context))
        workers.append(DetectionWorker(context))
        workers.append(DutyWorker(context))
        workers.extend(readiness_workers(context))
        workers.extend(escalation_workers(context))
        workers.extend(probe_workers(context, loaded))
        if options.extra_workers is not None:
            workers.extend(options.extra_workers(context))
        with _stop_on_signals(options.stop):
            async with supervise(workers, health=context.workers, metrics=context.metrics):
                await _run_http(context, settings, options)
    logger.info("garrison stopped")


async def _sync(context: AppContext, loaded: LoadedConfig, source: str) -> None:
    async with context.sessions() as session:
        report = await sync_configuration(
            session,
            loaded=loaded,
            actor=Actor.system("config-sync"),
            at=context.clock.now(),
            source=source,
        )
        await sync_probes(
            session, loaded=loaded, actor=Actor.system("config-sync"), at=context.clock.now()
        )
        await session.commit()
    logger.info(
        "configuration synced: %d added, %d updated, %d retired",
        len(report.added),
        len(report.updated),
        len(report.retired),
    )


async def _run_http(context: AppContext, settings: Settings, options: ServeOptions) -> None:
    config = uvicorn.Config(
        create_app(context),
        host=settings.host,
        port=settings.port,
        lifespan="off",
        log_config=None,
        access_log=False,
        server_header=False,
        proxy_headers=False,
        timeout_graceful_shutdown=max(1, int(settings.shutdown_timeout_seconds) - 2),
    )
    server = _Server(config)
    task = asyncio.create_task(server.serve(), name="http")
    stop_waiter = asyncio.create_task(options.stop.wait())
    try:
        # uvicorn offers no "started" event to wait on; poll its flag briefly.
        while not server.started and not task.done():  # noqa: ASYNC110
            await asyncio.sleep(0.02)
        if server.started:
            url = f"http://{settings.host}:{settings.port}"
            logger.info("listening on %s", url)
            if options.on_listening is not None:
                options.on_listening(url)
        await asyncio.wait({task, stop_waiter}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        context.workers.stopping = True
        server.should_exit = True
        stop_waiter.cancel()
        await task


@contextlib.contextmanager
def _stop_on_signals(stop: asyncio.Event) -> Iterator[None]:
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []

    def request_stop(signum: signal.Signals) -> None:
        logger.info("received %s: shutting down", signum.name)
        stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(signum, request_stop, signum)
            installed.append(signum)
        except (NotImplementedError, RuntimeError):
            logger.debug("cannot install a handler for %s here", signum.name)
    try:
        yield
    finally:
        for signum in installed:
            loop.remove_signal_handler(signum)
