"""Mirroring checks and maintenance windows: idempotent, retire-not-delete, audited."""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from garrison.audit.actor import Actor
from garrison.config import EventConfig, LoadedConfig
from garrison.event.sync import SyncReport
from garrison.probes.models import CheckRecord, HeartbeatRecord, MaintenanceRecord
from garrison.probes.sync import sync_probes
from garrison.runtime.context import AppContext
from tests.auth.factories import audit_actions
from tests.probes.engine.factories import (
    clock_of,
    heartbeat_check,
    http_check,
    make_config,
    service,
)

WINDOW: dict[str, object] = {
    "id": "nightly",
    "services": ["portal"],
    "recurrence": {"days": ["sat"], "start_time": "23:00", "end_time": "02:00"},
}
TOKEN = "configured-token-0123456789"


def config(*, checks: list[dict[str, object]], windows: list[dict[str, object]]) -> EventConfig:
    return make_config(services=[service("portal")], checks=checks, maintenance=windows)


async def run_sync(context: AppContext, event: EventConfig) -> SyncReport:
    loaded = LoadedConfig(config=event, files=(), digest="0" * 64)
    async with context.sessions() as session:
        report = await sync_probes(
            session, loaded=loaded, actor=Actor.system("test"), at=context.clock.now()
        )
        await session.commit()
    return report


async def test_sync_adds_updates_retires_and_restores(context: AppContext) -> None:
    checks = [
        http_check("portal-http", service="portal"),
        heartbeat_check("backup-job", token=TOKEN),
    ]
    first = await run_sync(context, config(checks=checks, windows=[WINDOW]))
    assert sorted(first.added) == ["check:backup-job", "check:portal-http", "maintenance:nightly"]
    assert not (await run_sync(context, config(checks=checks, windows=[WINDOW]))).changed
    async with context.sessions() as session:
        beat = await session.get(HeartbeatRecord, "backup-job")
        assert beat is not None
        assert beat.token_hash == hashlib.sha256(TOKEN.encode()).hexdigest()
        mirrored = await session.get(CheckRecord, "backup-job")
        assert mirrored is not None
        assert "token" not in mirrored.data

    clock_of(context).advance(60)
    changed = [http_check("portal-http", service="portal", interval=30)]
    second = await run_sync(context, config(checks=changed, windows=[]))
    assert second.updated == ["check:portal-http"]
    assert sorted(second.retired) == ["check:backup-job", "maintenance:nightly"]
    async with context.sessions() as session:
        retired = await session.get(CheckRecord, "backup-job")
        assert retired is not None
        assert retired.retired_at == context.clock.now()
        window = await session.get(MaintenanceRecord, "nightly")
        assert window is not None
        assert window.retired_at is not None

    third = await run_sync(context, config(checks=checks, windows=[WINDOW]))
    assert sorted(third.updated) == ["check:backup-job", "check:portal-http", "maintenance:nightly"]
    actions = [e.action for e in await audit_actions(context)]
    assert actions.count("config.check.restore") == 1
    assert actions.count("config.maintenance.retire") == 1
    assert actions.count("config.check.update") == 2
    async with context.sessions() as session:
        rows = (await session.scalars(select(CheckRecord).order_by(CheckRecord.id))).all()
    assert [(row.id, row.retired_at) for row in rows] == [
        ("backup-job", None),
        ("portal-http", None),
    ]


async def test_a_token_removed_from_the_configuration_stops_working(context: AppContext) -> None:
    await run_sync(context, config(checks=[heartbeat_check("job", token=TOKEN)], windows=[]))
    await run_sync(context, config(checks=[heartbeat_check("job")], windows=[]))
    async with context.sessions() as session:
        beat = await session.get(HeartbeatRecord, "job")
        assert beat is not None
        assert beat.token_hash is None
