"""`garrison serve` stops promptly on SIGTERM while live console streams are open."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from garrison.auth.permissions import Role
from garrison.runtime.assembly import open_context
from garrison.settings import Settings
from tests.auth.factories import log_in, make_user
from tests.process import running_garrison, wait_ready

SHUTDOWN_LIMIT_SECONDS = 10.0
logger = logging.getLogger(__name__)
STREAMS = 2


@contextlib.asynccontextmanager
async def _stream(base_url: str, username: str) -> AsyncIterator[httpx.Response]:
    """A signed-in browser's open ``/console/stream``, once its first event has arrived."""
    async with httpx.AsyncClient(base_url=base_url, timeout=SHUTDOWN_LIMIT_SECONDS) as client:
        await log_in(client, username)
        async with client.stream("GET", "/console/stream") as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            yield response


async def _first_chunk(chunks: AsyncIterator[str]) -> str:
    async for chunk in chunks:
        if chunk:
            return chunk
    return ""


async def _rest(chunks: AsyncIterator[str]) -> str:
    text = ""
    with contextlib.suppress(httpx.HTTPError):
        async for chunk in chunks:
            text += chunk
    return text


@pytest.mark.slow
async def test_sigterm_with_two_open_streams_exits_cleanly_within_ten_seconds(
    settings: Settings, database_url: str, tmp_path: Path
) -> None:
    async with open_context(settings) as context:
        for index in range(STREAMS):
            await make_user(context, f"watch{index}", role=Role.DUTY_OFFICER)
    async with running_garrison(
        data_dir=settings.data_dir, database_url=database_url, log_path=tmp_path / "serve.log"
    ) as server:
        await wait_ready(server.port)
        async with contextlib.AsyncExitStack() as stack:
            streams = [
                await stack.enter_async_context(_stream(server.url, f"watch{index}"))
                for index in range(STREAMS)
            ]
            readers = [response.aiter_text() for response in streams]
            for chunks in readers:
                first = await asyncio.wait_for(_first_chunk(chunks), timeout=5)
                assert "connected" in first
            started = time.monotonic()
            server.process.send_signal(signal.SIGTERM)
            code = await asyncio.wait_for(server.process.wait(), timeout=SHUTDOWN_LIMIT_SECONDS)
            elapsed = time.monotonic() - started
            logger.info("garrison serve exited %d in %.2f s after SIGTERM", code, elapsed)
            assert code == 0
            assert elapsed < SHUTDOWN_LIMIT_SECONDS
            endings = await asyncio.wait_for(
                asyncio.gather(*(_rest(chunks) for chunks in readers)), timeout=5
            )
    # Each browser was told the server is going away rather than cut off.
    for ending in endings:
        assert "event: bye" in ending
    log = (tmp_path / "serve.log").read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in log
