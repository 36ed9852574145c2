"""Syslog over TCP (RFC 6587): octet-counting and newline framing, optionally over TLS.

Each frame is read with a bounded buffer: a frame longer than the event limit is cut to
the limit and the rest is read and thrown away (counted), so one huge line can neither
exhaust memory nor desynchronise the stream. A full pipeline stops the reading, which
slows the sender through TCP's own flow control.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from garrison.detection.ingest.builder import EventBuilder
from garrison.detection.pipeline import DetectionPipeline

logger = logging.getLogger(__name__)

READ_CHUNK = 65_536
MAX_LENGTH_DIGITS = 9
IDLE_TIMEOUT_SECONDS = 3600.0


class FramingError(ValueError):
    """The stream is not syslog framing we can follow: the connection is closed."""


class FrameReader:
    """Frames of one connection: ``LEN SP MSG`` (octet counting) or ``MSG LF``."""

    def __init__(self, reader: asyncio.StreamReader, *, max_bytes: int) -> None:
        self._reader = reader
        self._max = max_bytes

    async def next_frame(self) -> tuple[bytes, bool] | None:
        """The next frame and whether it was cut; ``None`` at the end of the stream."""
        first = await self._reader.read(1)
        while first in (b"\n", b"\r"):
            first = await self._reader.read(1)
        if not first:
            return None
        if first.isdigit():
            return await self._octet_counted(first)
        return await self._line(first)

    async def _octet_counted(self, first: bytes) -> tuple[bytes, bool]:
        digits = first
        while True:
            byte = await self._reader.read(1)
            if byte == b" ":
                break
            if not byte.isdigit() or len(digits) >= MAX_LENGTH_DIGITS:
                # Not a length after all: a line that starts with a digit.
                frame, cut = await self._line(digits + byte) if byte else (digits, False)
                return frame, cut
            digits += byte
        length = int(digits)
        keep = min(length, self._max)
        data = await self._reader.readexactly(keep)
        await self._discard(length - keep)
        return data, length > keep

    async def _line(self, start: bytes) -> tuple[bytes, bool]:
        if start.endswith(b"\n"):
            return start[:-1], False
        buffer = bytearray(start)
        cut = False
        while True:
            try:
                chunk = await self._reader.readuntil(b"\n")
                ended = True
            except asyncio.LimitOverrunError as overrun:
                chunk = await self._reader.readexactly(overrun.consumed)
                ended = False
            except asyncio.IncompleteReadError as incomplete:
                chunk, ended = incomplete.partial, True
            room = self._max - len(buffer)
            if room > 0:
                buffer += chunk[:room]
            cut = cut or len(chunk) > room
            if ended:
                break
        if buffer.endswith(b"\n"):
            del buffer[-1:]
        return bytes(buffer), cut

    async def _discard(self, count: int) -> None:
        while count > 0:
            chunk = await self._reader.read(min(count, READ_CHUNK))
            if not chunk:
                raise FramingError("stream ended inside a frame")
            count -= len(chunk)


def server_ssl_context(cert_file: Path, key_file: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(certfile=cert_file, keyfile=key_file)
    return context


class SyslogTcpServer:
    def __init__(
        self,
        *,
        builder: EventBuilder,
        pipeline: DetectionPipeline,
        now: Callable[[], datetime],
        max_connections: int,
    ) -> None:
        self._builder = builder
        self._pipeline = pipeline
        self._now = now
        self._slots = asyncio.Semaphore(max_connections)
        self._connections: set[asyncio.Task[None]] = set()

    async def start(
        self, *, bind: str, port: int, tls: ssl.SSLContext | None = None
    ) -> asyncio.Server:
        return await asyncio.start_server(
            self._serve_connection, bind, port, ssl=tls, limit=self._builder.limits.max_event_bytes
        )

    async def close_connections(self) -> None:
        for task in list(self._connections):
            task.cancel()
        for task in list(self._connections):
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        metrics = self._pipeline.metrics
        source = self._builder.source
        if self._slots.locked():
            metrics.rejected.labels(source, "too_many_connections").inc()
            writer.close()
            return
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
        async with self._slots:
            try:
                await self._read_frames(reader)
            except (FramingError, ConnectionError, ssl.SSLError, asyncio.IncompleteReadError):
                metrics.rejected.labels(source, "broken_stream").inc()
            except TimeoutError:
                logger.info("syslog source %s: idle connection closed", source)
            finally:
                if task is not None:
                    self._connections.discard(task)
                writer.close()
                with contextlib.suppress(ConnectionError, ssl.SSLError, TimeoutError):
                    await asyncio.wait_for(writer.wait_closed(), timeout=1.0)

    async def _read_frames(self, reader: asyncio.StreamReader) -> None:
        frames = FrameReader(reader, max_bytes=self._builder.limits.max_event_bytes)
        metrics = self._pipeline.metrics
        source = self._builder.source
        while True:
            async with asyncio.timeout(IDLE_TIMEOUT_SECONDS):
                frame = await frames.next_frame()
            if frame is None:
                return
            data, cut = frame
            if cut:
                metrics.rejected.labels(source, "truncated").inc()
            try:
                events = self._builder.from_bytes(data, self._now()).events
            except Exception:
                logger.exception("syslog source %s could not parse a frame", source)
                metrics.rejected.labels(source, "parser_error").inc()
                continue
            if events:
                # Waiting here stops the reading: TCP then slows the sender.
                await self._pipeline.submit(events)
                metrics.events_in.labels(source).inc(sum(1 for e in events if e.kind == "log"))
