"""`garrison serve` runs the probe engine: a real check against a tiny HTTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from garrison.audit.actor import Actor
from garrison.auth.permissions import Permission, Role
from garrison.auth.tokens import create_token
from garrison.auth.users import create_user
from garrison.runtime.assembly import open_context
from garrison.settings import Settings
from tests.process import running_garrison, wait_ready

CONFIG = """
event:
  id: summit
  name: Summit
  timezone: Asia/Ho_Chi_Minh
  start: 2026-01-01T08:00:00
  end: 2036-01-01T08:00:00
organisation:
  units:
    - {{id: comms, name: Communications}}
services:
  - {{id: portal, name: Portal, kind: website, criticality: high, unit: comms}}
checks:
  - {{id: portal-http, type: http, service: portal, url: "http://127.0.0.1:{port}/",
     interval: 1, timeout: 1, fail_after: 2}}
"""
STATE_TIMEOUT_SECONDS = 20.0


@contextlib.asynccontextmanager
async def tiny_site() -> AsyncIterator[asyncio.Server]:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    try:
        yield server
    finally:
        server.close()
        await server.wait_closed()


async def admin_token(settings: Settings) -> str:
    async with open_context(settings) as context, context.sessions() as session:
        now = context.clock.now()
        user, _password = await create_user(
            session,
            username="chief",
            role=Role.ADMIN,
            display_name=None,
            actor=Actor.system("test"),
            now=now,
        )
        user.must_change_password = False
        created = await create_token(
            session,
            owner=user,
            name="test",
            scopes=frozenset(Permission),
            granted=frozenset(Permission),
            expires_at=now + timedelta(days=1),
            actor=Actor.system("test"),
            now=now,
        )
        await session.commit()
        return created.secret


async def wait_for_state(client: httpx.AsyncClient, token: str, wanted: str) -> None:
    """Polls the API: a separate process offers no event to wait on."""
    headers = {"Authorization": f"Bearer {token}"}
    async with asyncio.timeout(STATE_TIMEOUT_SECONDS):
        while True:
            response = await client.get("/api/v1/checks/portal-http", headers=headers)
            if response.status_code == 200 and response.json()["state"] == wanted:
                return
            await asyncio.sleep(0.2)


@pytest.mark.slow
async def test_serve_probes_a_local_site_and_sees_it_go_down(
    settings: Settings, database_url: str, tmp_path: Path
) -> None:
    async with tiny_site() as site:
        port = site.sockets[0].getsockname()[1]
        config = tmp_path / "event.yaml"
        config.write_text(CONFIG.format(port=port), encoding="utf-8")
        async with running_garrison(
            data_dir=settings.data_dir,
            database_url=database_url,
            log_path=tmp_path / "serve.log",
            config=config,
        ) as running:
            ready = await wait_ready(running.port)
            workers = ready["workers"]
            assert isinstance(workers, dict)
            assert workers["probes"] is True
            assert workers["probe-retention"] is True
            token = await admin_token(settings)
            async with httpx.AsyncClient(base_url=running.url) as client:
                await wait_for_state(client, token, "up")
                site.close()
                await site.wait_closed()
                await wait_for_state(client, token, "down")
                services = await client.get(
                    "/api/v1/services/state", headers={"Authorization": f"Bearer {token}"}
                )
                assert [(s["id"], s["state"]) for s in services.json()] == [("portal", "down")]
                metrics = await client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
                assert 'garrison_probe_up{check="portal-http"} 0.0' in metrics.text
            running.process.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(running.process.wait(), timeout=15) == 0
