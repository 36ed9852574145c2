"""The ingest worker: opens the configured listeners and tails, runs the pipeline's
delivery loop, the event store's writer and the retention clean-up.

A source that cannot start (port taken, certificate unreadable) is logged and shown as
down (``garrison_ingest_source_up``); the other sources run regardless.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from garrison.config.detection import (
    DetectionSettings,
    FileSource,
    SyslogTcpSource,
    SyslogUdpSource,
)
from garrison.detection.ingest.file_tail import FileTail
from garrison.detection.ingest.state import IngestState, configure_ingest, load_detection_settings
from garrison.detection.ingest.store import EventStore, purge_expired
from garrison.detection.ingest.syslog_tcp import SyslogTcpServer, server_ssl_context
from garrison.detection.ingest.syslog_udp import open_udp_listener
from garrison.runtime.context import AppContext

logger = logging.getLogger(__name__)

RETENTION_INTERVAL_SECONDS = 3600.0
# The first clean-up waits a little: a start is busy enough (and often a restart).
RETENTION_FIRST_DELAY_SECONDS = 60.0
RESTART_SECONDS = 5.0
STORE_SINK = "store"


class IngestWorker:
    name = "ingest"

    def __init__(
        self,
        context: AppContext,
        *,
        settings: DetectionSettings | None = None,
        tail_sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.context = context
        self._settings = settings
        self._tail_sleep = tail_sleep
        self.store: EventStore | None = None
        self.bound: dict[str, tuple[str, int]] = {}

    async def run(self, started: Callable[[], None]) -> None:
        settings = self._settings or load_detection_settings(self.context)
        state = configure_ingest(self.context, settings)
        self.store = EventStore(
            sessions=self.context.sessions,
            metrics=state.pipeline.metrics,
            capacity=settings.queues.store_events,
            max_bytes=settings.queues.store_bytes,
            alerts_first=state.pipeline.alerts_first,
        )
        state.pipeline.add_sink(STORE_SINK, self.store)
        async with contextlib.AsyncExitStack() as stack, asyncio.TaskGroup() as tasks:
            await self._open_listeners(state, stack)
            tasks.create_task(state.pipeline.run(), name="ingest:pipeline")
            tasks.create_task(self.store.run(), name="ingest:store")
            tasks.create_task(self._retention(state), name="ingest:retention")
            for source in settings.sources:
                if isinstance(source, FileSource) and source.enabled:
                    tasks.create_task(self._keep_tailing(state, source), name=f"tail:{source.name}")
            started()

    async def _open_listeners(self, state: IngestState, stack: contextlib.AsyncExitStack) -> None:
        metrics = state.pipeline.metrics
        for source in state.settings.sources:
            if not source.enabled or not isinstance(source, SyslogUdpSource | SyslogTcpSource):
                continue
            builder = state.builders[source.name]
            try:
                if isinstance(source, SyslogUdpSource):
                    listener = await open_udp_listener(
                        bind=source.bind,
                        port=source.port,
                        builder=builder,
                        pipeline=state.pipeline,
                        now=self.context.clock.now,
                        capacity=state.settings.queues.udp_intake_datagrams,
                    )
                    stack.callback(listener.close)
                    self.bound[source.name] = listener.get_extra_info("sockname")[:2]
                else:
                    tls = (
                        server_ssl_context(source.tls.cert_file, source.tls.key_file)
                        if source.tls
                        else None
                    )
                    server = SyslogTcpServer(
                        builder=builder,
                        pipeline=state.pipeline,
                        now=self.context.clock.now,
                        max_connections=source.max_connections,
                    )
                    listening = await server.start(bind=source.bind, port=source.port, tls=tls)
                    stack.push_async_callback(_close_server, listening, server)
                    self.bound[source.name] = listening.sockets[0].getsockname()[:2]
            except (OSError, ValueError) as exc:
                logger.error("ingest source %s could not start: %s", source.name, exc)
                metrics.source_up.labels(source.name).set(0)
                continue
            metrics.source_up.labels(source.name).set(1)

    async def _keep_tailing(self, state: IngestState, source: FileSource) -> None:
        metrics = state.pipeline.metrics
        while True:
            tail = FileTail(
                config=source,
                builder=state.builders[source.name],
                pipeline=state.pipeline,
                sessions=self.context.sessions,
                now=self.context.clock.now,
                sleep=self._tail_sleep,
            )
            metrics.source_up.labels(source.name).set(1)
            try:
                await tail.run()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("file source %s failed; restarting it", source.name)
            metrics.source_up.labels(source.name).set(0)
            await asyncio.sleep(RESTART_SECONDS)

    async def _retention(self, state: IngestState) -> None:
        await self.context.clock.sleep(RETENTION_FIRST_DELAY_SECONDS)
        while True:
            try:
                removed = await purge_expired(
                    self.context.sessions,
                    now=self.context.clock.now(),
                    retention_days=state.settings.retention_days,
                )
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("log event retention failed; trying again later")
            else:
                state.pipeline.metrics.purged.inc(removed)
                if removed:
                    logger.info("removed %d log events past their retention", removed)
            await self.context.clock.sleep(RETENTION_INTERVAL_SECONDS)


async def _close_server(listening: asyncio.Server, server: SyslogTcpServer) -> None:
    listening.close()
    await server.close_connections()
    await listening.wait_closed()
