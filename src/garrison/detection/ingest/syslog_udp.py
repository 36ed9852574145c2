"""Syslog over UDP: one message per datagram, read in bursts, parsed in batches.

UDP cannot slow its sender down, so every place a datagram can be lost counts it in
``garrison_ingest_dropped_total{source,reason}``:

* ``socket_buffer``: the kernel's receive buffer overflowed before we read (Linux tells
  how many with ``SO_RXQ_OVFL``; the socket asks for a 4 MiB buffer);
* ``buffer_full``: the intake buffer (``queues.udp_intake_datagrams``, 20,000 datagrams
  by default) was full: the newest datagrams are not kept;
* ``queue_full``: the detection pipeline's queue had no room for the parsed events.

Reading does nothing but copy datagrams into the bounded intake buffer (one clock
reading per burst); a separate task parses them in batches and offers the events to
the pipeline, giving the event loop back between batches.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import socket
import struct
import sys
from collections.abc import Callable
from datetime import datetime
from typing import Any

from garrison.detection.ingest.builder import EventBuilder
from garrison.detection.pipeline import DetectionPipeline
from garrison.detection.records import LogEvent

logger = logging.getLogger(__name__)

RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024
DEFAULT_INTAKE_DATAGRAMS = 20_000
# Datagrams read per wake-up of the loop, and parsed per turn of the parsing task.
READ_BURST = 512
PARSE_BATCH = 512
MAX_DATAGRAM_BYTES = 65_535
# Linux: a control message with the socket's count of datagrams the kernel dropped.
SO_RXQ_OVFL = getattr(socket, "SO_RXQ_OVFL", 40)
_DROPS = struct.Struct("=I")


class UdpListener:
    """One bound UDP socket, its bounded intake buffer and its parsing task."""

    def __init__(
        self,
        sock: socket.socket,
        *,
        builder: EventBuilder,
        pipeline: DetectionPipeline,
        now: Callable[[], datetime],
        capacity: int = DEFAULT_INTAKE_DATAGRAMS,
    ) -> None:
        self._sock = sock
        self._builder = builder
        self._pipeline = pipeline
        self._now = now
        self._capacity = capacity
        # Bursts as they were read: (when, datagrams); ``_held`` counts the datagrams.
        self._bursts: collections.deque[tuple[datetime, list[bytes]]] = collections.deque()
        self._held = 0
        self._ready = asyncio.Event()
        size = min(MAX_DATAGRAM_BYTES, builder.limits.max_event_bytes + 1)
        self._scratch = bytearray(size)
        self._view = memoryview(self._scratch)
        self._kernel_drops: int | None = _enable_drop_count(sock)
        self._loop = asyncio.get_running_loop()
        self._closed = False
        labels = (builder.source,)
        metrics = pipeline.metrics
        self._buffer_full = metrics.dropped.labels(*labels, "buffer_full")
        self._queue_full = metrics.dropped.labels(*labels, "queue_full")
        self._socket_buffer = metrics.dropped.labels(*labels, "socket_buffer")
        self._parser_error = metrics.rejected.labels(*labels, "parser_error")
        self._events_in = metrics.events_in.labels(*labels)
        self._loop.add_reader(sock.fileno(), self._read)
        self._task = asyncio.create_task(self._parse_forever(), name=f"udp:{builder.source}")

    @property
    def held(self) -> int:
        """Datagrams read but not parsed yet."""
        return self._held

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        if name == "sockname":
            return self._sock.getsockname()
        if name == "socket":
            return self._sock
        return default

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._loop.remove_reader(self._sock.fileno())
        self._task.cancel()
        self._sock.close()

    # -- reading: called by the loop when the socket is readable -------------------------

    def _read(self) -> None:
        burst: list[bytes] = []
        if self._kernel_drops is not None:
            self._receive_counting_drops(burst)
        receive = self._sock.recv_into
        view = self._view
        while len(burst) < READ_BURST:
            try:
                size = receive(self._scratch)
            except (BlockingIOError, InterruptedError):
                break
            except OSError as exc:  # ICMP errors and the like: the socket goes on
                logger.warning("syslog source %s: %s", self._builder.source, exc)
                break
            burst.append(bytes(view[:size]))
        if not burst:
            return
        room = self._capacity - self._held
        if len(burst) > room:
            self._buffer_full.inc(len(burst) - max(0, room))
            del burst[max(0, room) :]
            if not burst:
                return
        self._bursts.append((self._now(), burst))
        self._held += len(burst)
        self._ready.set()

    def _receive_counting_drops(self, burst: list[bytes]) -> None:
        """Read one datagram with the kernel's drop count (cumulative) beside it."""
        try:
            data, ancillary, _flags, _address = self._sock.recvmsg(
                len(self._scratch), socket.CMSG_SPACE(_DROPS.size)
            )
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            logger.warning("syslog source %s: %s", self._builder.source, exc)
            return
        burst.append(data)
        for level, kind, payload in ancillary:
            if level == socket.SOL_SOCKET and kind == SO_RXQ_OVFL and len(payload) >= 4:
                total = _DROPS.unpack_from(payload)[0]
                last = self._kernel_drops or 0
                if total > last:
                    self._socket_buffer.inc(total - last)
                self._kernel_drops = total

    # -- parsing: its own task --------------------------------------------------------

    async def _parse_forever(self) -> None:
        while True:
            if not self._bursts:
                self._ready.clear()
                await self._ready.wait()
            self.parse_batch()
            # Let the loop read, deliver and answer between batches.
            await asyncio.sleep(0)

    def parse_batch(self, limit: int = PARSE_BATCH) -> int:
        """Parse up to ``limit`` held datagrams and offer their events; returns how many."""
        builder = self._builder
        per_datagram: list[list[LogEvent]] = []
        taken = 0
        # A full pipeline: parsing would only make events to drop.
        parse = self._pipeline.queue.room() > 0
        while self._bursts and taken < limit:
            received_at, burst = self._bursts[0]
            count = min(len(burst), limit - taken)
            chunk = burst[:count]
            if count == len(burst):
                self._bursts.popleft()
            else:
                del burst[:count]
            taken += count
            if not parse:
                self._queue_full.inc(count)
                continue
            for data in chunk:
                try:
                    events = builder.from_bytes(data, received_at).events
                except Exception:
                    # A parser bug must cost one datagram, never the listener.
                    logger.exception("syslog source %s could not parse a datagram", builder.source)
                    self._parser_error.inc()
                    continue
                if events:
                    per_datagram.append(events)
        self._held -= taken
        self._offer(per_datagram)
        return taken

    def _offer(self, per_datagram: list[list[LogEvent]]) -> None:
        if not per_datagram:
            return
        everything = [event for events in per_datagram for event in events]
        if self._pipeline.offer(everything):
            self._events_in.inc(sum(1 for event in everything if event.kind == "log"))
            return
        # Not all fit: keep what fits, datagram by datagram, and count the rest.
        accepted = dropped = 0
        for events in per_datagram:
            if self._pipeline.offer(events):
                accepted += sum(1 for event in events if event.kind == "log")
            else:
                dropped += len(events)
        if accepted:
            self._events_in.inc(accepted)
        if dropped:
            self._queue_full.inc(dropped)


def _enable_drop_count(sock: socket.socket) -> int | None:
    """Ask Linux for the kernel's drop count with each datagram; ``None`` if it cannot."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_RXQ_OVFL, 1)
    except OSError:
        return None
    return 0


async def open_udp_listener(
    *,
    bind: str,
    port: int,
    builder: EventBuilder,
    pipeline: DetectionPipeline,
    now: Callable[[], datetime],
    capacity: int = DEFAULT_INTAKE_DATAGRAMS,
) -> UdpListener:
    """Bind and start receiving; close the returned listener to stop."""
    loop = asyncio.get_running_loop()
    found = await loop.getaddrinfo(bind, port, type=socket.SOCK_DGRAM)
    if not found:
        raise OSError(f"cannot resolve {bind!r}")
    family, kind, protocol, _name, address = found[0]
    sock = socket.socket(family, kind, protocol)
    try:
        sock.setblocking(False)
        # A larger kernel buffer absorbs bursts (the kernel caps it at net.core.rmem_max).
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER_BYTES)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return UdpListener(sock, builder=builder, pipeline=pipeline, now=now, capacity=capacity)
