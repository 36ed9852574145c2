"""Lab targets that serve one protocol over both TCP and UDP, on the same port number.

DNS, SIP, syslog and time are spoken over UDP as much as over TCP. Such a target
is a :class:`StreamTarget` for its TCP side and answers datagrams with
:meth:`DatagramTarget._answer_datagram`; DOWN closes both sides, and a datagram
the target chooses not to answer (HANG, or junk) is simply dropped.
"""

from __future__ import annotations

import asyncio
import logging
from abc import abstractmethod
from collections.abc import Callable
from typing import ClassVar, cast

from garrison.demo.lab.errors import ListenError
from garrison.demo.lab.stream_target import StreamTarget
from garrison.demo.lab.targets import LAB_HOST

logger = logging.getLogger(__name__)

# Asked for "any free port", the TCP port found may be taken for UDP: try a few others.
_FREE_PORT_ATTEMPTS = 5

Peer = tuple[str, int]


class DatagramTarget(StreamTarget):
    max_datagram_bytes: ClassVar[int] = 8 * 1024
    """Longer datagrams are dropped unread."""

    def __init__(self, *, name: str, port: int) -> None:
        super().__init__(name=name, port=port)
        self._datagrams: asyncio.DatagramTransport | None = None
        self._ever_bound = False

    def _is_listening(self) -> bool:
        return super()._is_listening() and self._datagrams is not None

    @abstractmethod
    def _answer_datagram(self, data: bytes, peer: Peer) -> bytes | None:
        """The reply to one datagram, or None to send nothing."""

    async def _open_listener(self) -> None:
        any_port = self._port == 0 and not self._ever_bound
        for attempt in range(_FREE_PORT_ATTEMPTS):
            await super()._open_listener()
            try:
                self._datagrams = await _open_endpoint(
                    self.name, self._port, self._receive_datagram
                )
            except ListenError:
                await super()._close_listener()
                if not any_port or attempt == _FREE_PORT_ATTEMPTS - 1:
                    raise
                self._port = 0
                continue
            self._ever_bound = True
            return

    async def _close_listener(self) -> None:
        datagrams, self._datagrams = self._datagrams, None
        if datagrams is not None:
            datagrams.close()
        await super()._close_listener()

    def _receive_datagram(self, data: bytes, peer: Peer) -> bytes | None:
        if len(data) > self.max_datagram_bytes:
            return None
        try:
            return self._answer_datagram(data, peer)
        except Exception:
            # One bad datagram must not take the target down.
            logger.exception("demo lab: a datagram to %s failed", self.name)
            return None


class _Endpoint(asyncio.DatagramProtocol):
    def __init__(self, name: str, answer: Callable[[bytes, Peer], bytes | None]) -> None:
        self._name = name
        self._answer = answer
        self._transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # The selector loop's datagram transport does not inherit from DatagramTransport.
        self._transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: Peer) -> None:
        reply = self._answer(data, addr)
        if reply is not None and self._transport is not None:
            self._transport.sendto(reply, addr)

    def error_received(self, exc: Exception) -> None:
        # An ICMP error about a peer that went away: nothing to do for a lab server.
        logger.debug("demo lab: datagram error on %s: %s", self._name, exc)


async def _open_endpoint(
    name: str, port: int, answer: Callable[[bytes, Peer], bytes | None]
) -> asyncio.DatagramTransport:
    loop = asyncio.get_running_loop()
    try:
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _Endpoint(name, answer), local_addr=(LAB_HOST, port)
        )
    except OSError as exc:
        raise ListenError(
            f"lab target {name!r} cannot listen on {LAB_HOST}:{port}/udp: {exc}"
        ) from exc
    return transport
