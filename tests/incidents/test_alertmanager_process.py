"""The real Prometheus Alertmanager pages a real ``garrison serve`` through its webhook.

Alertmanager (Debian's ``prometheus-alertmanager``) runs on 127.0.0.1 with a receiver
pointing at Garrison, the integration key as bearer credentials, and short group
timers. An alert posted to its API v2 must become a triggered incident, and the same
alert with ``endsAt`` in the past must resolve it. In CI the binary must be there.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from garrison.config.incidents import IntegrationKind
from garrison.incidents.models import Incident
from garrison.runtime.assembly import open_context
from garrison.settings import Settings
from tests.incidents.factories import make_integration
from tests.process import free_port, running_garrison, wait_ready

BINARY = "prometheus-alertmanager"
WAIT_SECONDS = 60.0

pytestmark = pytest.mark.slow


def _binary() -> str:
    found = shutil.which(BINARY)
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{BINARY} is not installed: CI must run this test (see .ci/run)")
        pytest.skip(f"{BINARY} is not installed (apt-get install prometheus-alertmanager)")
    return found


def _alertmanager_config(garrison_port: int, key: str) -> str:
    return f"""
route:
  receiver: garrison
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: garrison
    webhook_configs:
      - url: http://127.0.0.1:{garrison_port}/api/v1/integrations/alertmanager
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: {key}
"""


@contextlib.asynccontextmanager
async def running_alertmanager(
    binary: str, config: Path, storage: Path, log_path: Path
) -> AsyncIterator[str]:
    port = free_port()
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            binary,
            f"--config.file={config}",
            f"--storage.path={storage}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
            "--log.level=info",
            stdout=log,
            stderr=log,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            await _until(lambda: _ready(url), "alertmanager did not become ready")
            yield url
        finally:
            if process.returncode is None:
                process.terminate()
                try:
                    await asyncio.wait_for(process.wait(), timeout=10)
                except TimeoutError:
                    process.kill()
                    await process.wait()


async def _ready(url: str) -> bool:
    try:
        async with httpx.AsyncClient() as client:
            return (await client.get(f"{url}/-/ready")).status_code == 200
    except httpx.TransportError:
        return False


async def _until(check: Callable[[], Awaitable[bool]], message: str) -> None:
    """Polls ``check`` (another process offers no event to wait on) until true or the deadline."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_SECONDS
    while not await check():
        if loop.time() > deadline:
            raise AssertionError(message)
        await asyncio.sleep(0.2)


async def _incident_statuses(settings: Settings) -> list[str]:
    async with open_context(settings) as context, context.sessions() as session:
        return list((await session.scalars(select(Incident.status))).all())


async def test_alertmanager_triggers_and_resolves_a_garrison_incident(
    settings: Settings, database_url: str, tmp_path: Path
) -> None:
    binary = _binary()
    async with open_context(settings) as context:
        key = await make_integration(context, IntegrationKind.ALERTMANAGER, "am-real")
    async with running_garrison(
        data_dir=settings.data_dir, database_url=database_url, log_path=tmp_path / "serve.log"
    ) as garrison:
        await wait_ready(garrison.port)
        config = tmp_path / "alertmanager.yml"
        config.write_text(_alertmanager_config(garrison.port, key), encoding="utf-8")
        async with running_alertmanager(
            binary, config, tmp_path / "am-data", tmp_path / "alertmanager.log"
        ) as alertmanager:
            now = datetime.now(UTC)
            alert = {
                "labels": {
                    "alertname": "UplinkDown",
                    "service": "uplink-a",
                    "severity": "critical",
                },
                "annotations": {"summary": "Uplink A lost its carrier"},
                "startsAt": (now - timedelta(seconds=5)).isoformat(),
            }
            async with httpx.AsyncClient(base_url=alertmanager) as client:
                posted = await client.post("/api/v2/alerts", json=[alert])
                assert posted.status_code == 200, posted.text

                async def triggered() -> bool:
                    return await _incident_statuses(settings) == ["triggered"]

                await _until(triggered, "Garrison never got the firing alert")

                ended = {**alert, "endsAt": (datetime.now(UTC) - timedelta(seconds=1)).isoformat()}
                posted = await client.post("/api/v2/alerts", json=[ended])
                assert posted.status_code == 200, posted.text

                async def resolved() -> bool:
                    return await _incident_statuses(settings) == ["resolved"]

                await _until(resolved, "Garrison never got the resolved alert")

    async with open_context(settings) as context, context.sessions() as session:
        incident = (await session.scalars(select(Incident))).one()
    assert (incident.severity, incident.services) == ("sev1", ["uplink-a"])
    assert incident.title == "Uplink A lost its carrier"
    assert incident.resolved_by == "alertmanager main"
