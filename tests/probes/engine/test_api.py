"""The probes API: reads, operator actions with their permissions and audit entries."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from garrison.audit.actor import Actor
from garrison.auth.permissions import Role
from garrison.bus.abc import Subscription
from garrison.config import EventConfig, LoadedConfig
from garrison.event.sync import sync_configuration
from garrison.probes.commands import ProbeCommand
from garrison.probes.engine import Judgement
from garrison.probes.models import CheckStateRecord, StateChangeRecord
from garrison.probes.sync import sync_probes
from garrison.probes.writer import ResultWriter
from garrison.runtime.context import AppContext
from tests.auth.factories import audit_actions, bearer, make_token, make_user
from tests.probes.engine.factories import http_check, make_config, result, service

ROLES = {
    "olga": Role.OBSERVER,
    "duc": Role.DUTY_OFFICER,
    "emma": Role.ENGINEER,
    "chau": Role.COMMANDER,
}


def api_config() -> EventConfig:
    return make_config(
        services=[service("switch"), service("portal", depends_on=["switch"])],
        checks=[
            http_check("portal-http", service="portal"),
            http_check("switch-ping", service="switch"),
            {
                "id": "portal-page",
                "type": "content",
                "url": "http://127.0.0.1:9/",
                "service": "portal",
            },
        ],
        maintenance=[
            {
                "id": "nightly",
                "services": ["switch"],
                "recurrence": {"start_time": "01:00", "end_time": "02:00"},
            },
        ],
    )


async def sync(context: AppContext, config: EventConfig) -> None:
    loaded = LoadedConfig(config=config, files=(), digest="0" * 64)
    async with context.sessions() as session:
        now = context.clock.now()
        actor = Actor.system("test")
        await sync_configuration(session, loaded=loaded, actor=actor, at=now, source="test")
        await sync_probes(session, loaded=loaded, actor=actor, at=now)
        await session.commit()


@pytest.fixture
async def tokens(context: AppContext) -> dict[str, dict[str, str]]:
    await sync(context, api_config())
    found = {}
    for username, role in ROLES.items():
        await make_user(context, username, role=role)
        found[username] = bearer(await make_token(context, username))
    return found


async def next_command(subscription: Subscription[ProbeCommand]) -> ProbeCommand:
    async for command in subscription:
        return command
    raise AssertionError("no command")


async def test_reads_need_check_read_and_show_state(
    client: httpx.AsyncClient, tokens: dict[str, dict[str, str]], context: AppContext
) -> None:
    assert (await client.get("/api/v1/checks")).status_code == 401
    response = await client.get("/api/v1/checks", headers=tokens["olga"])
    assert response.status_code == 200
    checks = {check["id"]: check for check in response.json()}
    assert set(checks) == {"portal-http", "switch-ping", "portal-page"}
    assert checks["portal-http"]["state"] == "unknown"
    assert checks["portal-http"]["service_id"] == "portal"
    detail = await client.get("/api/v1/checks/portal-http", headers=tokens["olga"])
    assert detail.json()["config"]["url"] == "http://127.0.0.1:9/portal-http"
    assert (await client.get("/api/v1/checks/nope", headers=tokens["olga"])).status_code == 404
    services = await client.get("/api/v1/services/state", headers=tokens["olga"])
    assert {s["id"]: s["checks"] for s in services.json()} == {
        "portal": {"portal-http": "unknown", "portal-page": "unknown"},
        "switch": {"switch-ping": "unknown"},
    }
    windows = await client.get("/api/v1/maintenance", headers=tokens["olga"])
    assert [(w["id"], w["source"]) for w in windows.json()] == [("nightly", "config")]


async def test_results_history_rollups_and_availability(
    client: httpx.AsyncClient, tokens: dict[str, dict[str, str]], context: AppContext
) -> None:
    now = context.clock.now()
    writer = ResultWriter(sessions=context.sessions, bus=context.bus, clock=context.clock)
    async with context.sessions() as session:
        session.add(CheckStateRecord(check_id="portal-http", state="up", since=now, updated_at=now))
        session.add(
            StateChangeRecord(
                subject_kind="check",
                subject_id="portal-http",
                at=now - timedelta(hours=1),
                previous="unknown",
                current="up",
                measured="up",
                in_maintenance=False,
                reason="1 passing run(s) in a row",
                evidence=[],
            )
        )
        await session.commit()
    for minutes in range(5):
        moment = now - timedelta(minutes=minutes + 1)
        writer.submit("portal-http", result(minutes != 2, moment), Judgement())
    await writer.write_batch()
    headers = tokens["olga"]
    page = await client.get(
        "/api/v1/checks/portal-http/results", params={"limit": 3}, headers=headers
    )
    body = page.json()
    assert [r["ok"] for r in body["results"]] == [True, True, False]
    more = await client.get(
        "/api/v1/checks/portal-http/results",
        params={"limit": 3, "before_id": body["next_before_id"]},
        headers=headers,
    )
    assert [r["ok"] for r in more.json()["results"]] == [True, True]
    history = await client.get("/api/v1/checks/portal-http/history", headers=headers)
    assert [c["current"] for c in history.json()["changes"]] == ["up"]
    rollups = await client.get("/api/v1/checks/portal-http/rollups", headers=headers)
    assert sum(r["count"] for r in rollups.json()) == 5
    availability = await client.get(
        "/api/v1/checks/portal-http/availability",
        params={"since": (now - timedelta(hours=2)).isoformat(), "until": now.isoformat()},
        headers=headers,
    )
    report = availability.json()
    assert report["percent"] == 100
    assert report["unmeasured_seconds"] == 3600
    assert (report["runs"], report["failed_runs"]) == (5, 1)
    empty = await client.get(
        "/api/v1/checks/portal-http/availability",
        params={"since": now.isoformat(), "until": (now - timedelta(hours=1)).isoformat()},
        headers=headers,
    )
    assert empty.status_code == 422
    services = await client.get("/api/v1/availability", headers=headers)
    assert {r["subject_id"] for r in services.json()} == {"portal", "switch"}


async def test_pause_and_resume_are_operator_actions_and_audited(
    client: httpx.AsyncClient, tokens: dict[str, dict[str, str]], context: AppContext
) -> None:
    subscription = context.bus.subscribe(ProbeCommand, consumer="test")
    url = "/api/v1/checks/portal-http/pause"
    assert (await client.post(url, headers=tokens["olga"])).status_code == 403
    response = await client.post(
        url, json={"reason": "replacing the switch"}, headers=tokens["duc"]
    )
    assert response.status_code == 200, response.text
    assert (response.json()["state"], response.json()["paused_reason"]) == (
        "paused",
        "replacing the switch",
    )
    command = await next_command(subscription)
    assert (command.topic, command.check_id) == (
        "garrison.probes.check_pause_changed",
        "portal-http",
    )
    assert (await client.post(url, headers=tokens["duc"])).status_code == 409
    resumed = await client.post("/api/v1/checks/portal-http/resume", headers=tokens["duc"])
    assert resumed.json()["paused"] is False
    actions = [e.action for e in await audit_actions(context, target_id="portal-http")]
    assert actions[-2:] == ["probes.check.pause", "probes.check.resume"]
    run = await client.post("/api/v1/checks/portal-http/run", headers=tokens["duc"])
    assert run.status_code == 202
    await next_command(subscription)
    assert (await next_command(subscription)).topic == "garrison.probes.check_run_requested"
    await subscription.close()


async def test_approving_a_baseline_takes_the_latest_snapshot(
    client: httpx.AsyncClient, tokens: dict[str, dict[str, str]], context: AppContext
) -> None:
    url = "/api/v1/checks/portal-page/baseline"
    assert (await client.post(url, headers=tokens["duc"])).status_code == 403
    assert (await client.post(url, headers=tokens["emma"])).status_code == 409
    wrong = await client.post("/api/v1/checks/portal-http/baseline", headers=tokens["emma"])
    assert wrong.status_code == 422
    writer = ResultWriter(sessions=context.sessions, bus=context.bus, clock=context.clock)
    async with context.sessions() as session:
        now = context.clock.now()
        session.add(CheckStateRecord(check_id="portal-page", state="up", since=now, updated_at=now))
        await session.commit()
    snapshot = {
        "url": "http://127.0.0.1:9/",
        "origin": "http://127.0.0.1:9",
        "text": "Welcome to the summit",
        "script_origins": ["http://127.0.0.1:9"],
        "iframe_origins": [],
        "link_origins": [],
        "truncated": False,
    }
    details = {"baseline_needed": True, "snapshot": snapshot}
    writer.submit("portal-page", result(True, now, details=details), Judgement())
    await writer.write_batch()
    approved = await client.post(url, headers=tokens["emma"])
    assert approved.status_code == 201, approved.text
    assert approved.json()["text_chars"] == len("Welcome to the summit")
    detail = (await client.get("/api/v1/checks/portal-page", headers=tokens["olga"])).json()
    assert detail["baseline"]["approved_by"] == "emma"
    # The snapshot is kept apart, not in every stored result.
    assert "snapshot" not in detail["last_result"]["details"]
    (entry,) = [e for e in await audit_actions(context) if e.action == "probes.baseline.approve"]
    assert entry.target_id == "portal-page"


async def test_maintenance_windows_at_run_time(
    client: httpx.AsyncClient, tokens: dict[str, dict[str, str]], context: AppContext
) -> None:
    start = context.clock.now() + timedelta(hours=1)
    body = {
        "services": ["portal"],
        "start": start.isoformat(),
        "end": (start + timedelta(hours=2)).isoformat(),
        "reason": "CMS upgrade",
    }
    assert (
        await client.post("/api/v1/maintenance", json=body, headers=tokens["duc"])
    ).status_code == 403
    created = await client.post("/api/v1/maintenance", json=body, headers=tokens["chau"])
    assert created.status_code == 201, created.text
    window = created.json()
    assert window["id"].startswith("api:")
    assert (window["source"], window["open_now"]) == ("api", False)
    # Naive times are the event's (Asia/Ho_Chi_Minh, UTC+7).
    naive = {
        "checks": ["switch-ping"],
        "start": "2026-06-01T16:00:00",
        "end": "2026-06-01T17:00:00",
    }
    local = await client.post("/api/v1/maintenance", json=naive, headers=tokens["chau"])
    assert local.json()["start"].startswith("2026-06-01T09:00:00")
    assert local.json()["open_now"] is False
    unknown = await client.post(
        "/api/v1/maintenance", json={**body, "services": ["ghost"]}, headers=tokens["chau"]
    )
    assert unknown.status_code == 422
    assert "services[0]" in unknown.json()["detail"]
    neither = await client.post(
        "/api/v1/maintenance", json={"services": ["portal"]}, headers=tokens["chau"]
    )
    assert neither.status_code == 422
    ended = await client.delete(f"/api/v1/maintenance/{window['id']}", headers=tokens["chau"])
    assert ended.status_code == 204
    again = await client.delete(f"/api/v1/maintenance/{window['id']}", headers=tokens["chau"])
    assert again.status_code == 409
    configured = await client.delete("/api/v1/maintenance/nightly", headers=tokens["chau"])
    assert configured.status_code == 409
    listed = await client.get("/api/v1/maintenance", headers=tokens["olga"])
    assert len(listed.json()) == 2  # the configured one and the naive-time one
    actions = [e.action for e in await audit_actions(context) if e.target_type == "maintenance"]
    assert actions.count("probes.maintenance.add") == 2
    assert actions.count("probes.maintenance.end") == 1


async def test_openapi_documents_the_probe_routes(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/api/v1/openapi.json")).json()["paths"]
    for path in (
        "/api/v1/checks",
        "/api/v1/checks/{check_id}/availability",
        "/api/v1/services/state",
        "/api/v1/maintenance",
        "/api/v1/heartbeat/{check_id}/{token}",
    ):
        assert path in paths


async def test_history_rows_are_what_the_api_lists(
    client: httpx.AsyncClient, tokens: dict[str, dict[str, str]], context: AppContext
) -> None:
    async with context.sessions() as session:
        for minutes, (previous, current) in enumerate([("unknown", "up"), ("up", "down")]):
            session.add(
                StateChangeRecord(
                    subject_kind="service",
                    subject_id="portal",
                    at=context.clock.now() - timedelta(minutes=10 - minutes),
                    previous=previous,
                    current=current,
                    measured=current,
                    in_maintenance=False,
                    caused_by=None,
                    reason="",
                    evidence=[],
                )
            )
        await session.commit()
        stored = (await session.scalars(select(StateChangeRecord.id))).all()
    page = await client.get(
        "/api/v1/services/portal/history", params={"limit": 1}, headers=tokens["olga"]
    )
    assert [c["current"] for c in page.json()["changes"]] == ["down"]
    assert page.json()["next_before_id"] == max(stored)
    missing = await client.get("/api/v1/services/ghost/history", headers=tokens["olga"])
    assert missing.status_code == 404
