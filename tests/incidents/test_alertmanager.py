"""The Alertmanager webhook: firing, resolved, grouped, deduplicated, refused."""

from __future__ import annotations

import json

import httpx

from garrison.config.incidents import IntegrationKind
from garrison.incidents.integrations import disable_integration, get_integration
from garrison.runtime.context import AppContext
from tests.auth.factories import audit_actions, bearer
from tests.incidents.factories import (
    TEST_ACTOR,
    alerts,
    am_alert,
    am_payload,
    incidents,
    make_integration,
    signal_count,
    timeline_kinds,
)

URL = "/api/v1/integrations/alertmanager"


async def test_firing_alert_opens_an_incident_and_resolved_resolves_it(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    key = await make_integration(context, IntegrationKind.ALERTMANAGER)
    firing = am_payload([am_alert("fp-1", labels={"severity": "critical", "service": "portal"})])

    response = await client.post(URL, json=firing, headers=bearer(key))

    assert response.status_code == 200, response.text
    result = response.json()["results"][0]
    assert result["outcome"] == "opened"
    [incident] = await incidents(context)
    assert incident.id == result["incident_id"]
    assert (incident.status, incident.severity, incident.services) == (
        "triggered",
        "sev1",
        ["portal"],
    )
    assert incident.title == "Link down at fp-1"

    resolved = am_payload([am_alert("fp-1", status="resolved")])
    response = await client.post(URL, json=resolved, headers=bearer(key))

    assert response.json()["results"][0]["outcome"] == "resolved"
    [incident] = await incidents(context)
    assert incident.status == "resolved"
    assert incident.resolved_by == "alertmanager main"
    assert await timeline_kinds(context, incident.id) == [
        "opened",
        "alert",
        "alert_resolved",
        "state_change",
    ]


async def test_alerts_of_one_group_become_one_incident(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    key = await make_integration(context, IntegrationKind.ALERTMANAGER)
    payload = am_payload([am_alert(f"fp-{n}") for n in range(5)])

    response = await client.post(URL, json=payload, headers=bearer(key))

    outcomes = [result["outcome"] for result in response.json()["results"]]
    assert outcomes == ["opened", "grouped", "grouped", "grouped", "grouped"]
    assert len(await incidents(context)) == 1
    assert {alert.incident_id for alert in await alerts(context)} == {1}

    # Another Alertmanager group is another incident.
    other = am_payload([am_alert("fp-x")], group_key='{}:{alertname="DiskFull"}')
    response = await client.post(URL, json=other, headers=bearer(key))
    assert response.json()["results"][0]["outcome"] == "opened"
    assert len(await incidents(context)) == 2


async def test_repeated_notifications_are_deduplicated_by_fingerprint(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    key = await make_integration(context, IntegrationKind.ALERTMANAGER)
    payload = am_payload([am_alert("fp-1")])
    for _ in range(3):
        response = await client.post(URL, json=payload, headers=bearer(key))
        assert response.status_code == 200

    [alert] = await alerts(context)
    assert alert.signal_count == 3
    assert await signal_count(context) == 3  # every signal kept
    assert len(await incidents(context)) == 1

    # Resolved, then firing again: a new alert (the old one is history).
    await client.post(
        URL, json=am_payload([am_alert("fp-1", status="resolved")]), headers=bearer(key)
    )
    await client.post(URL, json=payload, headers=bearer(key))
    assert [a.status for a in await alerts(context)] == ["resolved", "firing"]


async def test_a_malformed_payload_gets_400_naming_the_field_and_writes_nothing(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    key = await make_integration(context, IntegrationKind.ALERTMANAGER)
    bad = am_payload([am_alert("fp-1"), {**am_alert("fp-2"), "status": "burning"}])

    response = await client.post(URL, json=bad, headers=bearer(key))

    assert response.status_code == 400
    assert "alerts.1.status" in response.json()["detail"]
    not_json = await client.post(
        URL, content=b"{not json", headers={**bearer(key), "content-type": "application/json"}
    )
    assert not_json.status_code == 400
    assert "line 1" in not_json.json()["detail"]
    wrong_version = await client.post(
        URL, json={**am_payload([]), "version": "3"}, headers=bearer(key)
    )
    assert wrong_version.status_code == 400
    assert "version" in wrong_version.json()["detail"]
    assert await signal_count(context) == 0
    assert await incidents(context) == []


async def test_a_wrong_key_gets_401_and_an_audit_entry(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    await make_integration(context, IntegrationKind.ALERTMANAGER)
    pagerduty_key = await make_integration(context, IntegrationKind.PAGERDUTY)
    payload = am_payload([am_alert("fp-1")])

    for headers in ({}, bearer("not-a-key"), bearer(pagerduty_key)):
        response = await client.post(URL, json=payload, headers=headers)
        assert response.status_code == 401, headers

    rejected = [e for e in await audit_actions(context) if e.action == "integration.key_rejected"]
    assert len(rejected) == 3
    assert rejected[0].target_id == "alertmanager"
    assert rejected[0].origin is not None
    assert rejected[0].origin["address"] == "127.0.0.1"
    assert "not-a-key" not in json.dumps([e.after for e in rejected])
    assert await signal_count(context) == 0


async def test_an_oversized_payload_gets_413(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    key = await make_integration(context, IntegrationKind.ALERTMANAGER)
    huge = am_payload([am_alert("fp-1", annotations={"summary": "x" * (1024 * 1024)})])

    response = await client.post(URL, json=huge, headers=bearer(key))

    assert response.status_code == 413
    assert await signal_count(context) == 0


async def test_a_disabled_integration_is_refused(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    key = await make_integration(context, IntegrationKind.ALERTMANAGER, "am")
    async with context.sessions() as session:
        record = await get_integration(session, integration_id="am")
        record.managed_by = "api"
        await disable_integration(session, record=record, actor=TEST_ACTOR, now=context.clock.now())
        await session.commit()

    response = await client.post(URL, json=am_payload([am_alert("fp")]), headers=bearer(key))
    assert response.status_code == 401
