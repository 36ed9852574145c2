from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from garrison.audit.actor import Actor
from garrison.config import load_config
from garrison.demo.lab import SIEM_COLLECTOR, SyslogCollector
from garrison.demo.setup import (
    DEMO_EVENT_FILE,
    DEMO_HEARTBEAT_VARIABLE,
    DEMO_LAB_CA_VARIABLE,
    DEMO_SIEM_CHECK,
    demo_environment,
    demo_lab_ca_file,
    demo_workers,
)
from garrison.event.sync import sync_configuration
from garrison.probes.sync import sync_probes
from garrison.runtime.context import AppContext


def test_the_environment_points_the_demo_event_at_the_lab(tmp_path: Path) -> None:
    environment = demo_environment(datetime(2026, 6, 1, 8, 0, tzinfo=UTC), tmp_path)

    config = load_config(DEMO_EVENT_FILE, environ=environment).config
    ca_files = {
        getattr(check, "ca_file", None) for check in config.checks if hasattr(check, "ca_file")
    } - {None}
    tokens = [check.token for check in config.checks if check.type == "heartbeat"]
    assert ca_files == {str(demo_lab_ca_file(tmp_path))}
    assert demo_lab_ca_file(tmp_path).is_absolute()
    assert tokens == [environment[DEMO_HEARTBEAT_VARIABLE]]
    assert len(environment[DEMO_HEARTBEAT_VARIABLE]) >= 16
    assert environment[DEMO_LAB_CA_VARIABLE] == str(demo_lab_ca_file(tmp_path))
    assert environment["GARRISON_DEMO_START"] == "2026-05-31T07:00:00"


def test_every_heartbeat_token_is_new(tmp_path: Path) -> None:
    now = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)

    first = demo_environment(now, tmp_path)[DEMO_HEARTBEAT_VARIABLE]
    second = demo_environment(now, tmp_path)[DEMO_HEARTBEAT_VARIABLE]

    assert first != second


async def test_the_demo_lab_writes_its_authority_and_beats_for_the_siem_check(
    context: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(DEMO_HEARTBEAT_VARIABLE, "x" * 32)

    [worker] = demo_workers(context)

    ca_file = demo_lab_ca_file(context.settings.data_dir)
    assert ca_file.read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
    collector = worker.lab.target(SIEM_COLLECTOR)
    assert isinstance(collector, SyslogCollector)
    assert collector.heartbeat_url == (
        f"http://127.0.0.1:{context.settings.port}/api/v1/heartbeat/{DEMO_SIEM_CHECK}/{'x' * 32}"
    )
    assert os.environ[DEMO_HEARTBEAT_VARIABLE] == "x" * 32


async def test_garrison_accepts_the_lab_heartbeats_for_the_demo_event(
    context: AppContext, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in demo_environment(context.clock.now(), context.settings.data_dir).items():
        monkeypatch.setenv(name, value)
    loaded = load_config(DEMO_EVENT_FILE)
    actor = Actor.system("test")
    async with context.sessions() as session:
        await sync_configuration(
            session, loaded=loaded, actor=actor, at=context.clock.now(), source="test"
        )
        await sync_probes(session, loaded=loaded, actor=actor, at=context.clock.now())
        await session.commit()
    [worker] = demo_workers(context)
    collector = worker.lab.target(SIEM_COLLECTOR)
    assert isinstance(collector, SyslogCollector)
    assert collector.heartbeat_url is not None

    accepted = await client.post(urlsplit(collector.heartbeat_url).path)
    refused = await client.post(f"/api/v1/heartbeat/{DEMO_SIEM_CHECK}/{'y' * 32}")

    assert accepted.status_code == 200
    assert refused.status_code == 404
