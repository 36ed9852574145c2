"""Fixtures for the demo lab: targets and labs on free ports of 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from garrison.clock import ManualClock
from garrison.demo.lab import HttpSite, TcpService
from tests.demo.factories import IO_TIMEOUT, LAB_START, SLOW_DELAY, TEST_PAGE


@pytest.fixture
def lab_clock() -> ManualClock:
    return ManualClock(LAB_START)


@pytest.fixture
async def site() -> AsyncIterator[HttpSite]:
    site = HttpSite(name="portal", port=0, page=TEST_PAGE, slow_delay=SLOW_DELAY)
    await site.start()
    try:
        yield site
    finally:
        await site.stop()


@pytest.fixture
async def service() -> AsyncIterator[TcpService]:
    service = TcpService(name="link-primary", port=0)
    await service.start()
    try:
        yield service
    finally:
        await service.stop()


@pytest.fixture
async def http_client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(trust_env=False, timeout=IO_TIMEOUT) as client:
        yield client
