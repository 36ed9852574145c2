"""``POST /api/v1/config/sync``: the event and the probes mirrored again, the engine told."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from garrison.auth.permissions import Role
from garrison.clock import ManualClock
from garrison.incidents.models import Integration
from garrison.probes.commands import ChecksChanged, ProbeCommand
from garrison.probes.models import CheckRecord
from garrison.runtime.assembly import open_context
from garrison.runtime.context import AppContext
from garrison.settings import Settings
from tests.auth.factories import bearer, make_token, make_user
from tests.event.test_sync import BASE

CHECKS = """checks:
  - {id: portal-http, type: http, url: "http://127.0.0.1:9/", service: portal}
"""
INCIDENTS = """incidents:
  integrations:
    - {id: am-main, name: Main Alertmanager, kind: alertmanager, key: a-key-of-sixteen-chars}
"""
MORE_CHECKS = "  - {id: uplink-ping, type: tcp, host: 127.0.0.1, port: 9, service: uplink-a}\n"


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "event.yaml"
    path.write_text(BASE + CHECKS, encoding="utf-8")
    return path


@pytest.fixture
async def synced_context(
    settings: Settings, clock: ManualClock, config_file: Path
) -> AsyncIterator[AppContext]:
    configured = settings.model_copy(update={"config_file": config_file})
    async with open_context(configured, clock=clock) as context:
        context.workers.expected = ()
        yield context


async def test_a_sync_mirrors_checks_and_tells_the_probe_engine(
    synced_context: AppContext, config_file: Path
) -> None:
    from garrison.web.app import create_app  # noqa: PLC0415 - as in tests/conftest.py

    context = synced_context
    await make_user(context, "root", role=Role.ADMIN)
    headers = bearer(await make_token(context, "root"))
    commands = context.bus.subscribe(ProbeCommand, consumer="test")
    transport = httpx.ASGITransport(app=create_app(context), client=("127.0.0.1", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        first = await client.post("/api/v1/config/sync", headers=headers)
        assert first.status_code == 200, first.text
        assert "check:portal-http" in first.json()["added"]
        await asyncio.to_thread(
            config_file.write_text, BASE + CHECKS + MORE_CHECKS + INCIDENTS, encoding="utf-8"
        )
        second = await client.post("/api/v1/config/sync", headers=headers)
        assert second.status_code == 200, second.text
    assert second.json()["added"] == ["check:uplink-ping"]
    told = []
    async with asyncio.timeout(5):
        async for command in commands:
            told.append(command)
            if len(told) == 2:
                break
    await commands.close()
    assert all(isinstance(command, ChecksChanged) for command in told)
    assert [getattr(command, "digest", "") for command in told] == [
        first.json()["digest"],
        second.json()["digest"],
    ]
    async with context.sessions() as session:
        checks = (await session.scalars(select(CheckRecord.id).order_by(CheckRecord.id))).all()
        integrations = (await session.scalars(select(Integration.id))).all()
    assert list(checks) == ["portal-http", "uplink-ping"]
    # The incidents section is mirrored too: no restart needed for its integrations.
    assert list(integrations) == ["am-main"]
