"""PagerDuty Events API v2 at /v2/enqueue: trigger, acknowledge, resolve, answered as PagerDuty."""

from __future__ import annotations

from typing import Any

import httpx

from garrison.config.incidents import IntegrationKind
from garrison.runtime.context import AppContext
from tests.auth.factories import audit_actions
from tests.incidents.factories import alerts, incidents, make_integration, signal_count

URL = "/v2/enqueue"


def event(key: str, action: str = "trigger", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"routing_key": key, "event_action": action, **extra}
    if action == "trigger" and "payload" not in extra:
        body["payload"] = {
            "summary": "DNS resolver not answering",
            "source": "resolver-1.example",
            "severity": "error",
            "timestamp": "2026-06-01T07:59:30+07:00",
            "component": "dns",
            "group": "core-dns",
            "class": "availability",
            "custom_details": {"queries_failed": 40},
        }
    return body


async def test_trigger_acknowledge_resolve(client: httpx.AsyncClient, context: AppContext) -> None:
    key = await make_integration(context, IntegrationKind.PAGERDUTY)

    response = await client.post(
        URL, json=event(key, dedup_key="dns-1", links=[{"href": "http://x.example"}])
    )

    assert response.status_code == 202
    assert response.json() == {
        "status": "success",
        "message": "Event processed",
        "dedup_key": "dns-1",
    }
    [incident] = await incidents(context)
    assert (incident.status, incident.severity) == ("triggered", "sev2")

    response = await client.post(URL, json=event(key, "acknowledge", dedup_key="dns-1"))
    assert response.status_code == 202
    [incident] = await incidents(context)
    assert incident.status == "acknowledged"
    assert incident.acknowledged_by == "pagerduty main"

    response = await client.post(URL, json=event(key, "resolve", dedup_key="dns-1"))
    assert response.status_code == 202
    [incident] = await incidents(context)
    assert incident.status == "resolved"
    assert await signal_count(context) == 3


async def test_dedup_key_is_made_up_when_missing_and_reused_when_given(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    key = await make_integration(context, IntegrationKind.PAGERDUTY)

    first = (await client.post(URL, json=event(key))).json()["dedup_key"]
    second = (await client.post(URL, json=event(key))).json()["dedup_key"]
    assert first != second
    assert len(await alerts(context)) == 2

    again = await client.post(URL, json=event(key, dedup_key=first))
    assert again.json()["dedup_key"] == first
    assert len(await alerts(context)) == 2
    assert sorted(alert.signal_count for alert in await alerts(context)) == [1, 2]


async def test_invalid_events_get_400_in_pagerduty_form(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    key = await make_integration(context, IntegrationKind.PAGERDUTY)
    cases: list[tuple[Any, str]] = [
        ({"event_action": "trigger"}, "'routing_key' is missing or blank"),
        (event(key, "explode"), "'event_action' is invalid"),
        (
            event(key, payload={"summary": " ", "source": "s", "severity": "error"}),
            "'payload.summary' is missing or blank",
        ),
        (
            event(key, payload={"summary": "x", "source": "s", "severity": "fatal"}),
            "'payload.severity' is invalid",
        ),
        ({"routing_key": key, "event_action": "trigger"}, "'payload' is missing or blank"),
        ({"routing_key": key, "event_action": "resolve"}, "'dedup_key' is missing or blank"),
        ([1, 2], "JSON object"),
    ]
    for body, expected in cases:
        response = await client.post(URL, json=body)
        assert response.status_code == 400, body
        answer = response.json()
        assert answer["status"] == "invalid event"
        assert answer["message"] == "Event object is invalid"
        assert any(expected in error for error in answer["errors"]), (expected, answer)
    broken = await client.post(URL, content=b"{", headers={"content-type": "application/json"})
    assert broken.status_code == 400
    assert await signal_count(context) == 0


async def test_an_unknown_routing_key_gets_401_and_an_audit_entry(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    alertmanager_key = await make_integration(context, IntegrationKind.ALERTMANAGER)

    for key in ("0" * 32, alertmanager_key):
        response = await client.post(URL, json=event(key))
        assert response.status_code == 401
        assert response.json()["status"] == "invalid routing key"

    rejected = [e for e in await audit_actions(context) if e.action == "integration.key_rejected"]
    assert [e.target_id for e in rejected] == ["pagerduty", "pagerduty"]
    assert await signal_count(context) == 0


async def test_acknowledge_or_resolve_of_an_unknown_key_is_kept_and_harmless(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    key = await make_integration(context, IntegrationKind.PAGERDUTY)

    response = await client.post(URL, json=event(key, "resolve", dedup_key="never-seen"))

    assert response.status_code == 202
    assert await signal_count(context) == 1
    assert await incidents(context) == []
