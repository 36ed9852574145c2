"""Running `garrison serve` as a real process for tests that need the whole program."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx

# Imports and migrations of a whole server, on 2 cores shared with the other tests.
READY_TIMEOUT_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class RunningGarrison:
    process: asyncio.subprocess.Process
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.asynccontextmanager
async def running_garrison(
    *, data_dir: Path, database_url: str, log_path: Path, config: Path | None = None
) -> AsyncIterator[RunningGarrison]:
    """Starts `garrison serve` on a free loopback port; kills it if the test left it running."""
    port = free_port()
    arguments = [
        "--data-dir",
        str(data_dir),
        "--database-url",
        database_url,
        "serve",
        "--port",
        str(port),
    ]
    if config is not None:
        arguments += ["--config", str(config)]
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "garrison",
            *arguments,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=log,
        )
        try:
            yield RunningGarrison(process=process, port=port)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()


async def wait_ready(port: int) -> dict[str, object]:
    """Polls /readyz until it answers 200 (the server offers no other signal to a client)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + READY_TIMEOUT_SECONDS
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        while True:
            try:
                response = await client.get("/readyz")
                if response.status_code == 200:
                    body: dict[str, object] = response.json()
                    return body
            except httpx.TransportError:
                pass
            if loop.time() > deadline:
                raise AssertionError("garrison serve did not become ready")
            await asyncio.sleep(0.1)
