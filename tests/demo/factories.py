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
