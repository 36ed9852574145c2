"""Test data and raw socket helpers for the demo lab's tests."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from garrison.demo.lab import SitePage

LAB_START = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
SLOW_DELAY = 0.2
IO_TIMEOUT = 5.0

TEST_PAGE = SitePage(
    title="Cổng thử nghiệm — Test Portal",
    heading_vi="Xin chào",
    heading_en="Hello",
    paragraphs_vi=("Trang thử nghiệm của phòng lab.",),
    paragraphs_en=("The lab's test page.",),
)


async def raw_exchange(port: int, request: bytes) -> bytes:
    """Send raw bytes, then read everything until the server closes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        await writer.drain()
        async with asyncio.timeout(IO_TIMEOUT):
            return await reader.read()
    finally:
        writer.close()
        await writer.wait_closed()


async def read_banner(port: int) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        async with asyncio.timeout(IO_TIMEOUT):
            return await reader.readline()
    finally:
        writer.close()
        await writer.wait_closed()


class _OneReply(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.reply: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if not self.reply.done():
            self.reply.set_result(data)


async def udp_exchange(port: int, datagram: bytes, *, within: float = IO_TIMEOUT) -> bytes:
    """Send one datagram to 127.0.0.1 and return the first reply; TimeoutError if none."""
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(
        _OneReply, remote_addr=("127.0.0.1", port)
    )
    try:
        transport.sendto(datagram)
        async with asyncio.timeout(within):
            return await protocol.reply
    finally:
        transport.close()
