"""The heartbeat URL: the token is the credential; silence becomes DOWN."""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import timedelta

import httpx
import pytest
from prometheus_client import generate_latest

from garrison.auth.permissions import Role
from garrison.config import EventConfig
from garrison.probes.models import HeartbeatRecord
from garrison.probes.scheduler import next_slot
from garrison.runtime.context import AppContext
from tests.auth.factories import audit_actions, bearer, make_token, make_user
from tests.probes.engine.factories import (
    WAIT_SECONDS,
    EventRecorder,
    ScriptedRunner,
    advance_to,
    clock_of,
    heartbeat_check,
    make_config,
    running_engine,
    service,
)
from tests.probes.engine.test_api import sync

TOKEN = "configured-token-0123456789"


def heartbeat_config() -> EventConfig:
    return make_config(
        services=[service("backups")],
        checks=[
            heartbeat_check("backup-job", service="backups", token=TOKEN, interval=60),
            heartbeat_check("cron", interval=300),
        ],
    )


@pytest.fixture
async def synced(context: AppContext) -> None:
    await sync(context, heartbeat_config())


@pytest.mark.usefixtures("synced")
async def test_a_good_token_records_the_beat_without_login(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    response = await client.post(f"/api/v1/heartbeat/backup-job/{TOKEN}")
    assert response.status_code == 200, response.text
    assert (await client.get(f"/api/v1/heartbeat/backup-job/{TOKEN}")).status_code == 200
    async with context.sessions() as session:
        record = await session.get(HeartbeatRecord, "backup-job")
        assert record is not None
        assert record.last_beat_at == context.clock.now()
        # Only the token's hash is kept.
        assert record.token_hash == hashlib.sha256(TOKEN.encode()).hexdigest()
    accepted = [e for e in await audit_actions(context) if e.action.startswith("probes.heartbeat")]
    assert accepted == []


@pytest.mark.usefixtures("synced")
async def test_wrong_token_and_unknown_check_look_the_same_and_are_audited(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    wrong = await client.get("/api/v1/heartbeat/backup-job/not-the-token-at-all")
    unknown = await client.get(f"/api/v1/heartbeat/no-such-check/{TOKEN}")
    no_token_yet = await client.get("/api/v1/heartbeat/cron/anything-goes-here")
    assert wrong.status_code == unknown.status_code == no_token_yet.status_code == 404
    assert wrong.json() == unknown.json() == no_token_yet.json()
    rejected = [e for e in await audit_actions(context) if e.action == "probes.heartbeat.rejected"]
    assert [e.target_id for e in rejected] == ["backup-job", "no-such-check", "cron"]
    stored = json.dumps([[e.before, e.after, e.origin] for e in rejected])
    assert "not-the-token-at-all" not in stored
    assert TOKEN not in stored


@pytest.mark.usefixtures("synced")
async def test_an_operator_issues_a_token_shown_once(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    await make_user(context, "olga", role=Role.OBSERVER)
    await make_user(context, "duc", role=Role.DUTY_OFFICER)
    observer = bearer(await make_token(context, "olga"))
    officer = bearer(await make_token(context, "duc"))
    url = "/api/v1/checks/cron/heartbeat-token"
    assert (await client.post(url, headers=observer)).status_code == 403
    issued = await client.post(url, headers=officer)
    assert issued.status_code == 201
    token = issued.json()["token"]
    assert issued.json()["url_path"] == f"/api/v1/heartbeat/cron/{token}"
    assert (await client.post(f"/api/v1/heartbeat/cron/{token}")).status_code == 200
    rotated = (await client.post(url, headers=officer)).json()["token"]
    assert (await client.post(f"/api/v1/heartbeat/cron/{token}")).status_code == 404
    assert (await client.post(f"/api/v1/heartbeat/cron/{rotated}")).status_code == 200
    detail = (await client.get("/api/v1/checks/cron", headers=observer)).json()
    assert detail["heartbeat"]["token_set"] is True
    assert token not in json.dumps(detail)
    configured = await client.post("/api/v1/checks/backup-job/heartbeat-token", headers=officer)
    assert configured.status_code == 201  # a configured token can be replaced too
    issued_actions = [e.action for e in await audit_actions(context, target_id="cron")]
    assert issued_actions.count("probes.heartbeat.token_issued") == 2


@pytest.mark.usefixtures("synced")
async def test_beats_keep_it_up_and_silence_turns_it_down(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    recorder = EventRecorder(context)
    async with running_engine(context, heartbeat_config(), ScriptedRunner()) as worker:
        assert (await client.post(f"/api/v1/heartbeat/backup-job/{TOKEN}")).status_code == 200
        await recorder.wait_for(lambda: recorder.check_moves("backup-job") == [("unknown", "up")])
        check = worker.plan.checks["backup-job"]
        clock = clock_of(context)
        assert worker.live is not None
        writer = worker.live.writer
        # The first run after the beat still finds it within the interval.
        await advance_to(clock, next_slot(check, clock.now()))
        # Each run is judged before the clock moves on (else it would end past the next slot).
        async with asyncio.timeout(WAIT_SECONDS):
            await writer.wait_written(2)
        # Then two runs without a beat: DOWN (about interval x fail_after after the last beat).
        await advance_to(clock, next_slot(check, clock.now() + timedelta(seconds=60)))
        async with asyncio.timeout(WAIT_SECONDS):
            await writer.wait_written(3)
        await advance_to(clock, next_slot(check, clock.now()))
        await recorder.wait_for(lambda: ("up", "down") in recorder.check_moves("backup-job"))
        assert (await client.post(f"/api/v1/heartbeat/backup-job/{TOKEN}")).status_code == 200
        await recorder.wait_for(lambda: ("down", "up") in recorder.check_moves("backup-job"))
    await recorder.close()
    down = next(e for e in recorder.checks if e.current == "down")
    assert [item["ok"] for item in down.evidence] == [False, False]
    services = [(e.previous, e.current) for e in recorder.services if e.service_id == "backups"]
    assert services == [("unknown", "up"), ("up", "down"), ("down", "up")]


@pytest.mark.usefixtures("synced")
async def test_refusals_are_audited_once_per_check_per_minute_and_counted(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    for attempt in range(5):
        assert (
            await client.get(f"/api/v1/heartbeat/backup-job/wrong-{attempt}")
        ).status_code == 404
    # Made-up ids share one allowance: varying the id does not flood the log either.
    for attempt in range(3):
        assert (await client.get(f"/api/v1/heartbeat/made-up-{attempt}/x")).status_code == 404
    assert (await client.get("/api/v1/heartbeat/cron/wrong")).status_code == 404
    rejected = [e for e in await audit_actions(context) if e.action == "probes.heartbeat.rejected"]
    assert [e.target_id for e in rejected] == ["backup-job", "made-up-0", "cron"]
    text = generate_latest(context.registry).decode()
    assert "garrison_probe_heartbeat_refusals_not_audited_total 6.0" in text
    clock_of(context).advance(61)
    assert (await client.get("/api/v1/heartbeat/backup-job/wrong-again")).status_code == 404
    rejected = [e for e in await audit_actions(context) if e.action == "probes.heartbeat.rejected"]
    assert [e.target_id for e in rejected][-1] == "backup-job"
    assert len(rejected) == 4
