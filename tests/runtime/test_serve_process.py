"""`garrison serve` as a real process: ordered start, /readyz, and a graceful SIGTERM."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from garrison.audit.actor import Actor
from garrison.auth.models import ApiToken
from garrison.auth.permissions import Permission, Role
from garrison.auth.tokens import create_token
from garrison.auth.users import create_user
from garrison.runtime.assembly import open_context
from garrison.settings import Settings
from tests.process import RunningGarrison, free_port, running_garrison, wait_ready


async def _admin_token(settings: Settings) -> str:
    async with open_context(settings) as context:
        now = context.clock.now()
        async with context.sessions() as session:
            user, _password = await create_user(
                session,
                username="chief",
                role=Role.ADMIN,
                display_name=None,
                actor=Actor.system("test"),
                now=now,
            )
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
            # A one-time password would limit the token's owner; give the account a real one.
            user.must_change_password = False
            await session.commit()
        return created.secret


@pytest.fixture
async def server(
    settings: Settings, database_url: str, tmp_path: Path
) -> AsyncIterator[RunningGarrison]:
    async with running_garrison(
        data_dir=settings.data_dir, database_url=database_url, log_path=tmp_path / "serve.log"
    ) as running:
        yield running


async def _wait_refused(port: int) -> None:
    for _ in range(100):
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            return
        writer.close()
        await writer.wait_closed()
        await asyncio.sleep(0.05)
    raise AssertionError("the server kept accepting connections after SIGTERM")


@pytest.mark.slow
async def test_sigterm_finishes_the_write_in_flight_and_exits_cleanly(
    settings: Settings, server: RunningGarrison
) -> None:
    process, port = server.process, server.port
    token = await _admin_token(settings)
    ready = await wait_ready(port)
    workers = ready["workers"]
    assert isinstance(workers, dict)
    assert workers["housekeeping"] is True
    assert all(workers.values())

    body = json.dumps(
        {"name": "written-during-shutdown", "scopes": ["event:read"], "expires_in_days": 1}
    ).encode()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        b"POST /api/v1/tokens HTTP/1.1\r\nHost: garrison\r\nContent-Type: application/json\r\n"
        + f"Authorization: Bearer {token}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        + body[:10]
    )
    await writer.drain()
    # A second request answered means the server has read the first one's head.
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        assert (await client.get("/healthz")).status_code == 200

    process.send_signal(signal.SIGTERM)
    await _wait_refused(port)
    writer.write(body[10:])
    await writer.drain()
    response = await asyncio.wait_for(reader.read(), timeout=10)
    writer.close()
    status_line = response.split(b"\r\n", 1)[0]
    assert status_line.startswith(b"HTTP/1.1 201") or status_line.startswith(b"HTTP/1.1 200"), (
        response[:300]
    )

    assert await asyncio.wait_for(process.wait(), timeout=10) == 0
    async with open_context(settings) as context, context.sessions() as session:
        names = (await session.scalars(select(ApiToken.name))).all()
    assert "written-during-shutdown" in names


@pytest.mark.slow
async def test_invalid_configuration_stops_serve_before_anything_is_written(tmp_path: Path) -> None:
    bad = tmp_path / "event.yaml"
    bad.write_text("event: {id: x\n", encoding="utf-8")
    data_dir = tmp_path / "data"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "garrison",
        "--data-dir",
        str(data_dir),
        "serve",
        "--config",
        str(bad),
        "--port",
        str(free_port()),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _out, err = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 2
    assert f"{bad}:2:1: invalid YAML" in err.decode()
    assert not data_dir.exists()
