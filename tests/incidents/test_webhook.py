"""The generic JSON webhook."""

from __future__ import annotations

from pathlib import Path

import httpx

from garrison.config.incidents import IntegrationKind
from garrison.incidents.service import access_list
from garrison.runtime.context import AppContext
from tests.auth.factories import bearer
from tests.incidents.factories import incidents, make_integration, signal_count, sync_event

URL = "/api/v1/integrations/webhook"


async def test_trigger_then_resolve(client: httpx.AsyncClient, context: AppContext) -> None:
    key = await make_integration(context, IntegrationKind.WEBHOOK)
    body = {
        "key": "vpn-gateway",
        "summary": "VPN gateway refuses logins",
        "severity": "sev2",
        "category": "unauthorised_access",
        "service": "portal",
        "site": "hall",
        "details": {"failed_logins": 512},
        "links": [{"href": "https://siem.example/case/1", "text": "case"}],
    }

    response = await client.post(URL, json=body, headers=bearer(key))

    assert response.status_code == 202, response.text
    assert response.json()["results"][0]["outcome"] == "opened"
    [incident] = await incidents(context)
    assert (incident.severity, incident.category, incident.services, incident.sites) == (
        "sev2",
        "unauthorised_access",
        ["portal"],
        ["hall"],
    )

    response = await client.post(
        URL, json={"action": "resolve", "key": "vpn-gateway"}, headers=bearer(key)
    )
    assert response.json()["results"][0]["outcome"] == "resolved"
    assert (await incidents(context))[0].status == "resolved"


async def test_words_map_to_severities_and_the_default_applies(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    key = await make_integration(context, IntegrationKind.WEBHOOK)
    await client.post(
        URL, json={"key": "a", "summary": "A", "severity": "critical"}, headers=bearer(key)
    )
    await client.post(URL, json={"key": "b", "summary": "B", "group": "other"}, headers=bearer(key))

    assert [i.severity for i in await incidents(context)] == ["sev1", "sev3"]


async def test_bad_bodies_get_400_naming_the_field(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    key = await make_integration(context, IntegrationKind.WEBHOOK)
    cases = [
        ({"key": "k"}, "summary is required"),
        ({"key": "k", "summary": "s", "colour": "red"}, "colour"),
        ({"key": "k", "summary": "s", "severity": "sev9"}, "severity"),
        ({"key": "k", "summary": "s", "occurred_at": "2026-06-01T08:00:00"}, "occurred_at"),
        ({"summary": "s"}, "key"),
        ({"key": "k" * 300, "summary": "s"}, "key"),
    ]
    for body, expected in cases:
        response = await client.post(URL, json=body, headers=bearer(key))
        assert response.status_code == 400, body
        assert expected in response.json()["detail"], (expected, response.json())
    assert await signal_count(context) == 0


async def test_service_criticality_does_not_override_an_explicit_severity(
    client: httpx.AsyncClient, context: AppContext, tmp_path: Path
) -> None:
    await sync_event(context, tmp_path)
    key = await make_integration(context, IntegrationKind.WEBHOOK)

    await client.post(
        URL,
        json={"key": "k", "summary": "Uplink flapping", "severity": "sev4", "service": "uplink-a"},
        headers=bearer(key),
    )

    [incident] = await incidents(context)
    assert incident.severity == "sev4"
    # The service's unit is on the need-to-know list of what concerns it.
    async with context.sessions() as session:
        assert (await access_list(session, incident_id=incident.id)).units == ("comms",)
