"""The security log collector (SIEM): syslog over UDP and TCP, and a heartbeat while it works.

Messages are counted and dropped. TCP accepts both framings of RFC 6587 (octet
counting and newline-terminated). While healthy, the collector calls its
heartbeat URL every ``heartbeat_every`` seconds of the lab's clock, as a real
collector's watchdog job would call Garrison's heartbeat check. Faults: DOWN
(nothing listens) and HANG (connections are accepted, nothing is processed,
and the heartbeats stop).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import ClassVar
from urllib.parse import urlsplit

from garrison.clock import Clock
from garrison.demo.lab.datagram_target import DatagramTarget, Peer
from garrison.demo.lab.stream_target import drain_until_eof
from garrison.demo.lab.targets import LAB_HOST, FaultKind

logger = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 8 * 1024
_IDLE_TIMEOUT_SECONDS = 60.0
_HEARTBEAT_TIMEOUT_SECONDS = 5.0
_MAX_OCTET_COUNT_DIGITS = 5

HeartbeatSender = Callable[[str], Awaitable[None]]


class SyslogCollector(DatagramTarget):
    kind: ClassVar[str] = "syslog"
    supported_faults: ClassVar[frozenset[FaultKind]] = frozenset({FaultKind.DOWN, FaultKind.HANG})
    max_datagram_bytes: ClassVar[int] = MAX_MESSAGE_BYTES
    read_limit: ClassVar[int] = MAX_MESSAGE_BYTES

    def __init__(
        self,
        *,
        name: str,
        port: int,
        clock: Clock,
        heartbeat_url: str | None = None,
        heartbeat_every: float = 10.0,
        send_heartbeat: HeartbeatSender | None = None,
    ) -> None:
        """``send_heartbeat`` replaces the HTTP POST to ``heartbeat_url`` (tests observe it)."""
        super().__init__(name=name, port=port)
        if heartbeat_url is not None and urlsplit(heartbeat_url).hostname != LAB_HOST:
            raise ValueError(f"the heartbeat URL must point at {LAB_HOST}")
        if heartbeat_every <= 0:
            raise ValueError("heartbeat_every must be positive")
        self._clock = clock
        self._heartbeat_url = heartbeat_url
        self._heartbeat_every = heartbeat_every
        self._send_heartbeat = send_heartbeat or _post
        self._heartbeats: asyncio.Task[None] | None = None
        self._progress = asyncio.Event()
        self.messages_received = 0
        self.heartbeat_turns = 0
        """Turns of the heartbeat loop: a beat sent (or tried), or skipped while faulted."""

    @property
    def heartbeat_url(self) -> str | None:
        return self._heartbeat_url

    async def wait_for_messages(self, count: int) -> None:
        """Return once ``count`` messages were received in all; bound it with a timeout."""
        await self._wait_until(lambda: self.messages_received >= count)

    async def wait_for_heartbeat_turns(self, count: int) -> None:
        """Return once the heartbeat loop took ``count`` turns; bound it with a timeout."""
        await self._wait_until(lambda: self.heartbeat_turns >= count)

    async def start(self) -> None:
        await super().start()
        if self._heartbeat_url is not None and self._heartbeats is None:
            self._heartbeats = asyncio.get_running_loop().create_task(
                self._beat(self._heartbeat_url), name=f"lab-{self.name}-heartbeat"
            )

    async def stop(self) -> None:
        heartbeats, self._heartbeats = self._heartbeats, None
        if heartbeats is not None:
            heartbeats.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeats
        await super().stop()

    def _answer_datagram(self, data: bytes, peer: Peer) -> bytes | None:
        if self.fault is None:
            self._count_message()
        return None  # syslog is never answered

    def _count_message(self) -> None:
        self.messages_received += 1
        self._progress.set()

    async def _wait_until(self, reached: Callable[[], bool]) -> None:
        while not reached():
            self._progress.clear()
            await self._progress.wait()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            if self.fault is FaultKind.HANG:
                await drain_until_eof(reader)
                return
            try:
                async with asyncio.timeout(_IDLE_TIMEOUT_SECONDS):
                    message = await _read_message(reader)
            except TimeoutError:
                return
            if message is None:
                return
            self._count_message()

    async def _beat(self, url: str) -> None:
        while True:
            if self.fault is None:
                try:
                    await self._send_heartbeat(url)
                except Exception as exc:
                    # Garrison may not listen yet (or any more): the next beat tries again.
                    logger.debug("demo lab: heartbeat of %s failed: %s", self.name, exc)
            self.heartbeat_turns += 1
            self._progress.set()
            await self._clock.sleep(self._heartbeat_every)


async def _read_message(reader: asyncio.StreamReader) -> bytes | None:
    """One syslog message in either RFC 6587 framing; None at the end of the stream."""
    try:
        first = await reader.readexactly(1)
        if first.isdigit():
            digits = first + await reader.readuntil(b" ")
            count = digits[:-1]
            if len(count) > _MAX_OCTET_COUNT_DIGITS or not count.isdigit():
                return None
            length = int(count)
            if length > MAX_MESSAGE_BYTES:
                return None
            return await reader.readexactly(length)
        return first + await reader.readuntil(b"\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        return None


async def _post(url: str) -> None:
    """POST to ``url`` (on the lab host), without a body; raise unless the answer is 2xx.

    Written by hand rather than with an HTTP client library, whose request log
    would show the URL, and with it the heartbeat token, which is a credential.
    """
    parts = urlsplit(url)
    port = parts.port or 80
    target = parts.path or "/"
    request = (
        f"POST {target} HTTP/1.1\r\nHost: {LAB_HOST}:{port}\r\nContent-Length: 0\r\n"
        "User-Agent: garrison-lab\r\nConnection: close\r\n\r\n"
    )
    async with asyncio.timeout(_HEARTBEAT_TIMEOUT_SECONDS):
        reader, writer = await asyncio.open_connection(LAB_HOST, port)
        try:
            writer.write(request.encode("ascii"))
            await writer.drain()
            status_line = await reader.readline()
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
    parts_of_status = status_line.split(b" ", 2)
    if len(parts_of_status) < 2 or not parts_of_status[1].startswith(b"2"):
        raise ConnectionError(f"heartbeat refused: {status_line[:100]!r}")
