"""Syslog over UDP: one message per datagram; dropped (and counted) when the queue is full.

UDP cannot slow its sender down, so a full pipeline means the datagram is lost: the
``garrison_ingest_dropped{reason="queue_full"}`` counter says how many.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Callable
from datetime import datetime

from garrison.detection.ingest.builder import EventBuilder
from garrison.detection.pipeline import DetectionPipeline

logger = logging.getLogger(__name__)

RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024


class _SyslogDatagrams(asyncio.DatagramProtocol):
    def __init__(
        self, *, builder: EventBuilder, pipeline: DetectionPipeline, now: Callable[[], datetime]
    ) -> None:
        self._builder = builder
        self._pipeline = pipeline
        self._now = now

    def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        metrics = self._pipeline.metrics
        source = self._builder.source
        if not self._pipeline.queue.room():
            metrics.dropped.labels(source, "queue_full").inc()
            return
        try:
            events = self._builder.from_bytes(data, self._now()).events
        except Exception:
            # A parser bug must cost one datagram, never the listener.
            logger.exception("syslog source %s could not parse a datagram", source)
            metrics.rejected.labels(source, "parser_error").inc()
            return
        if not events:
            return
        if self._pipeline.offer(events):
            metrics.events_in.labels(source).inc(sum(1 for e in events if e.kind == "log"))
        else:
            metrics.dropped.labels(source, "queue_full").inc(len(events))

    def error_received(self, exc: Exception) -> None:
        logger.warning("syslog source %s: %s", self._builder.source, exc)


async def open_udp_listener(
    *,
    bind: str,
    port: int,
    builder: EventBuilder,
    pipeline: DetectionPipeline,
    now: Callable[[], datetime],
) -> asyncio.DatagramTransport:
    """Bind and start receiving; close the returned transport to stop."""
    loop = asyncio.get_running_loop()
    transport, _protocol = await loop.create_datagram_endpoint(
        lambda: _SyslogDatagrams(builder=builder, pipeline=pipeline, now=now),
        local_addr=(bind, port),
    )
    # A larger kernel buffer absorbs bursts (the kernel caps it at net.core.rmem_max).
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER_BYTES)
    return transport
