"""The API under load from a client on loopback."""

from __future__ import annotations

import asyncio
import socket
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import httpx

from bench.results import Measurement, percentile
from garrison.audit.actor import Actor
from garrison.auth.permissions import Permission, Role
from garrison.auth.tokens import create_token
from garrison.auth.users import create_user
from garrison.demo.setup import DEMO_EVENT_FILE
from garrison.runtime.assembly import open_context
from garrison.settings import Settings
from garrison.storage.migrate import upgrade

REQUESTS = 3_000
CONCURRENCY = 8


async def _token(settings: Settings) -> str:
    async with open_context(settings) as context:
        await upgrade(context.engine)
        now = context.clock.now()
        async with context.sessions() as session:
            user, _ = await create_user(
                session,
                username="bench",
                role=Role.ADMIN,
                display_name=None,
                actor=Actor.system("bench"),
                now=now,
            )
            user.must_change_password = False
            created = await create_token(
                session,
                owner=user,
                name="bench",
                scopes=frozenset({Permission.EVENT_READ}),
                granted=frozenset(Permission),
                expires_at=now + timedelta(hours=1),
                actor=Actor.system("bench"),
                now=now,
            )
            await session.commit()
    return created.secret


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def run() -> list[Measurement]:
    with tempfile.TemporaryDirectory(prefix="garrison-bench-") as directory:
        settings = Settings(data_dir=Path(directory))
        token = await _token(settings)
        port = _free_port()
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "garrison",
            "--log-level",
            "WARNING",
            "--data-dir",
            directory,
            "serve",
            "--config",
            str(DEMO_EVENT_FILE),
            "--port",
            str(port),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            return await _measure(port, token)
        finally:
            process.terminate()
            await process.wait()


async def _measure(port: int, token: str) -> list[Measurement]:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers=headers) as client:
        for _ in range(300):
            try:
                if (await client.get("/readyz")).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
        latencies: list[float] = []
        queue: asyncio.Queue[int] = asyncio.Queue()
        for index in range(REQUESTS):
            queue.put_nowait(index)

        async def worker() -> None:
            while not queue.empty():
                queue.get_nowait()
                started = time.perf_counter()
                response = await client.get("/api/v1/event/services")
                latencies.append(time.perf_counter() - started)
                response.raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - started
    return [
        Measurement("api_requests", "GET /api/v1/event/services", REQUESTS / elapsed, "requests/s"),
        Measurement("api_requests", "latency p50", percentile(latencies, 0.5) * 1000, "ms"),
        Measurement(
            "api_requests", "latency p99", percentile(latencies, 0.99) * 1000, "ms", "< 200 ms"
        ),
    ]
