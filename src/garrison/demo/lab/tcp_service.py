"""A line-oriented TCP service: a banner, then every line echoed back.

It stands in for a link's far end or a device's management port, which probes
check by connecting and reading the banner.
"""

from __future__ import annotations

import asyncio
import socket
import struct
from typing import ClassVar

from garrison.demo.lab.stream_target import StreamTarget, drain_until_eof
from garrison.demo.lab.targets import FaultKind

_MAX_LINE_BYTES = 4 * 1024


class TcpService(StreamTarget):
    kind: ClassVar[str] = "tcp"
    supported_faults: ClassVar[frozenset[FaultKind]] = frozenset(
        {FaultKind.DOWN, FaultKind.HANG, FaultKind.RESET}
    )
    read_limit: ClassVar[int] = _MAX_LINE_BYTES

    def __init__(self, *, name: str, port: int, banner: str | None = None) -> None:
        super().__init__(name=name, port=port)
        text = banner if banner is not None else f"GARRISON-LAB {name} READY"
        if "\r" in text or "\n" in text:
            raise ValueError("a banner is one line")
        self._banner = f"{text}\r\n".encode("ascii")

    @property
    def banner(self) -> bytes:
        return self._banner

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # A fault applies to connections opened after it; DOWN also drops the open ones.
        fault = self.fault
        if fault is FaultKind.HANG:
            await drain_until_eof(reader)
            return
        if fault is FaultKind.RESET:
            _reset(writer)
            return
        writer.write(self._banner)
        await writer.drain()
        await _echo_lines(reader, writer)


async def _echo_lines(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while True:
        try:
            line = await reader.readline()
        except ValueError:
            writer.write(b"ERR line too long\r\n")
            await writer.drain()
            return
        if not line:
            return
        writer.write(line)
        await writer.drain()


def _reset(writer: asyncio.StreamWriter) -> None:
    # Linger on with a zero timeout makes close() send RST instead of FIN.
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
