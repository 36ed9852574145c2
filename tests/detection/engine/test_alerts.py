"""Alerts: deduplication by fingerprint, the audit trail, the API and its permissions."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from garrison.audit.actor import Actor
from garrison.audit.models import AuditEntry
from garrison.auth.permissions import Role
from garrison.clock import ManualClock
from garrison.detection.alerts.service import record_findings
from garrison.detection.findings import Finding
from garrison.runtime.context import AppContext
from tests.auth.factories import bearer, make_token, make_user
from tests.detection.engine.factories import pack_engine, web_request

API = "/api/v1/detections"
ACTOR = Actor.system("test")
WINDOW = timedelta(minutes=10)


def sqli(address: str = "203.0.113.7") -> list[Finding]:
    return pack_engine().evaluate(web_request("/a?id=1%20union%20select%202", address=address))


async def store(context: AppContext, findings: list[Finding]) -> int:
    async with context.sessions() as session:
        created = await record_findings(
            session, findings=findings, now=context.clock.now(), dedup_window=WINDOW, actor=ACTOR
        )
        await session.commit()
    return len(created)


async def test_repeats_within_the_window_are_counted(
    context: AppContext, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    assert await store(context, sqli() + sqli()) == 1
    clock.advance(60)
    assert await store(context, sqli()) == 0
    assert await store(context, sqli(address="198.51.100.1")) == 1
    clock.advance(WINDOW.total_seconds() + 1)
    assert await store(context, sqli()) == 1
    async with context.sessions() as session:
        actions = list(
            (await session.scalars(select(AuditEntry.action).order_by(AuditEntry.seq))).all()
        )
    assert actions == [
        "detection.alert_raised",
        "detection.alert_repeated",
        "detection.alert_repeated",
        "detection.alert_raised",
        "detection.alert_raised",
    ]
    await make_user(context, "analyst", role=Role.ANALYST)
    token = await make_token(context, "analyst")
    body = (await client.get(API, headers=bearer(token))).json()
    counts = [(alert["source_address"], alert["count"]) for alert in body["alerts"]]
    assert counts == [("203.0.113.7", 1), ("198.51.100.1", 1), ("203.0.113.7", 3)]


async def test_the_api_lists_filters_and_shows_alerts(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    await store(context, sqli())
    surge = pack_engine()
    findings: list[Finding] = []
    for _ in range(301):
        findings.extend(surge.evaluate(web_request("/", address="198.51.100.9")))
    await store(context, findings)
    await make_user(context, "analyst", role=Role.ANALYST)
    headers = bearer(await make_token(context, "analyst"))
    response = await client.get(API, headers=headers, params={"level": "high", "limit": 1})
    assert response.status_code == 200
    body = response.json()
    newest = body["alerts"][0]
    assert newest["rule"] == {
        "id": "garrison-request-surge-source",
        "title": "Request flood from one address",
        "level": "high",
        "author": "Garrison",
        "license": "LicenseRef-Garrison",
    }
    assert newest["category"] == "denial_of_service"
    assert body["next_before_id"] == newest["id"]
    older = await client.get(API, headers=headers, params={"before_id": newest["id"]})
    (sql,) = older.json()["alerts"]
    assert sql["rule"]["title"] == "SQL injection attempt in a requested URL"
    assert sql["matched_fields"]["cs-uri-query"] == "/a?id=1%20union%20select%202"
    assert sql["events"][0]["fields"]["c-ip"] == "203.0.113.7"
    one = await client.get(f"{API}/{sql['alert_id']}", headers=headers)
    assert one.status_code == 200
    assert one.json()["alert_id"] == sql["alert_id"]
    by_rule = await client.get(API, headers=headers, params={"rule_id": sql["rule"]["id"]})
    assert [a["alert_id"] for a in by_rule.json()["alerts"]] == [sql["alert_id"]]
    assert (await client.get(f"{API}/no-such-alert", headers=headers)).status_code == 404
    naive = await client.get(API, headers=headers, params={"since": "2026-06-01T08:00:00"})
    assert naive.status_code == 422


@pytest.mark.parametrize(
    ("role", "status"),
    [(Role.ANALYST, 200), (Role.DUTY_OFFICER, 200), (Role.LEADER, 200), (Role.OBSERVER, 403)],
)
async def test_reading_alerts_needs_detection_read(
    context: AppContext, client: httpx.AsyncClient, role: Role, status: int
) -> None:
    await make_user(context, "someone", role=role)
    token = await make_token(context, "someone")
    assert (await client.get(API, headers=bearer(token))).status_code == status


async def test_anonymous_callers_are_refused(client: httpx.AsyncClient) -> None:
    assert (await client.get(API)).status_code == 401
