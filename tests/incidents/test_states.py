"""The state machine over the API: who moved it, when, and the rules for closing."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from garrison.auth.permissions import Role
from garrison.clock import ManualClock
from garrison.incidents.events import IncidentAcknowledged, IncidentAssigned, IncidentStateChanged
from garrison.runtime.context import AppContext
from tests.auth.factories import audit_actions
from tests.incidents.factories import timeline_kinds, user_headers

API = "/api/v1/incidents"


async def _declare(
    client: httpx.AsyncClient, headers: dict[str, str], **body: Any
) -> dict[str, Any]:
    body.setdefault("title", "Video bridge to the provinces lost")
    response = await client.post(API, json=body, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_the_whole_life_of_an_incident_with_timings(
    client: httpx.AsyncClient, context: AppContext, clock: ManualClock
) -> None:
    officer = await user_headers(context, "lan", Role.DUTY_OFFICER)
    commander = await user_headers(context, "hung", Role.COMMANDER)
    acknowledged = context.bus.subscribe(IncidentAcknowledged, consumer="test")
    incident = await _declare(client, officer, severity="sev3", category="availability")
    url = f"{API}/{incident['id']}"
    assert incident["status"]["value"] == "triggered"
    assert incident["reference"] == f"INC-{incident['id']}"

    clock.advance(45)
    response = await client.post(f"{url}/acknowledge", json={"note": "on it"}, headers=officer)
    assert response.status_code == 200, response.text
    event = await asyncio.wait_for(anext(aiter(acknowledged)), 5)
    assert (event.actor_name, event.seconds_to_acknowledge) == ("lan", 45)

    clock.advance(255)
    await client.post(f"{url}/mitigate", json={"note": "switched to backup"}, headers=officer)
    clock.advance(600)
    response = await client.post(f"{url}/resolve", headers=officer)
    body = response.json()
    assert body["status"]["value"] == "resolved"
    assert body["timings"] == {
        "seconds_to_acknowledge": 45.0,
        "seconds_to_mitigate": 300.0,
        "seconds_to_resolve": 900.0,
    }
    assert (body["acknowledged_by"], body["mitigated_by"], body["resolved_by"]) == ("lan",) * 3

    response = await client.post(f"{url}/close", headers=commander)
    assert response.status_code == 200
    assert response.json()["closed_by"] == "hung"
    entries = await audit_actions(context, target_id=str(incident["id"]))
    actions = [e.action for e in entries if e.target_type == "incident"]
    assert actions == [
        "incident.opened",
        "incident.acknowledged",
        "incident.mitigated",
        "incident.resolved",
        "incident.closed",
    ]
    assert await timeline_kinds(context, incident["id"]) == ["opened"] + ["state_change"] * 4


async def test_closing_sev1_needs_a_summary_and_the_root_cause(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    leader = await user_headers(context, "chi", Role.LEADER)
    incident = await _declare(client, leader, severity="sev1")
    url = f"{API}/{incident['id']}"
    await client.post(f"{url}/resolve", json={"resolution_summary": "rerouted"}, headers=leader)

    refused = await client.post(f"{url}/close", headers=leader)
    assert refused.status_code == 422
    assert "root_cause" in refused.json()["detail"]
    assert "resolution_summary" not in refused.json()["detail"]

    closed = await client.post(
        f"{url}/close", json={"root_cause": "fibre cut by road works"}, headers=leader
    )
    assert closed.status_code == 200, closed.text
    assert closed.json()["root_cause"] == "fibre cut by road works"


async def test_forbidden_transitions_are_409_and_reopen_goes_back(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    leader = await user_headers(context, "chi", Role.LEADER)
    changed = context.bus.subscribe(IncidentStateChanged, consumer="test")
    incident = await _declare(client, leader)
    url = f"{API}/{incident['id']}"

    assert (await client.post(f"{url}/close", headers=leader)).status_code == 409
    await client.post(f"{url}/acknowledge", headers=leader)
    assert (await client.post(f"{url}/acknowledge", headers=leader)).status_code == 409
    reopen = {"to": "acknowledged", "reason": "again"}
    assert (await client.post(f"{url}/reopen", json=reopen, headers=leader)).status_code == 409
    await client.post(f"{url}/resolve", headers=leader)
    await client.post(f"{url}/close", headers=leader)

    no_reason = await client.post(f"{url}/reopen", json={"reason": " "}, headers=leader)
    assert no_reason.status_code == 422
    response = await client.post(f"{url}/reopen", json=reopen, headers=leader)
    assert response.status_code == 200
    body = response.json()
    assert body["status"]["value"] == "acknowledged"
    assert (body["resolved_at"], body["closed_at"], body["reopen_count"]) == (None, None, 1)
    assert body["timings"]["seconds_to_resolve"] is None
    seen = [await asyncio.wait_for(anext(aiter(changed)), 5) for _ in range(4)]
    assert [(e.previous, e.current) for e in seen] == [
        ("triggered", "acknowledged"),
        ("acknowledged", "resolved"),
        ("resolved", "closed"),
        ("closed", "acknowledged"),
    ]
    assert "incident.reopened" in [e.action for e in await audit_actions(context)]


async def test_roles_respond_and_manage_as_the_matrix_says(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    officer = await user_headers(context, "lan", Role.DUTY_OFFICER)
    observer = await user_headers(context, "quan", Role.OBSERVER)
    incident = await _declare(client, officer, classification="public")
    url = f"{API}/{incident['id']}"

    assert (await client.post(f"{url}/acknowledge", headers=observer)).status_code == 403
    assert (await client.get(url, headers=observer)).status_code == 200
    assert (await client.patch(url, json={"severity": "sev1"}, headers=officer)).status_code == 403
    await client.post(f"{url}/resolve", headers=officer)
    assert (await client.post(f"{url}/close", headers=officer)).status_code == 403


async def test_managers_assign_reclassify_and_change_severity(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    commander = await user_headers(context, "hung", Role.COMMANDER)
    await user_headers(context, "lan", Role.DUTY_OFFICER)
    await user_headers(context, "quan", Role.OBSERVER)
    assigned = context.bus.subscribe(IncidentAssigned, consumer="test")
    incident = await _declare(client, commander, severity="sev3")
    url = f"{API}/{incident['id']}"

    response = await client.patch(
        url,
        json={
            "severity": "sev2",
            "assignee": "lan",
            "commander": "hung",
            "classification": "confidential",
            "title": "Video bridge lost (province 3)",
            "reason": "three provinces affected",
        },
        headers=commander,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["severity"]["value"], body["assignee"], body["commander"]) == (
        "sev2",
        "lan",
        "hung",
    )
    assert body["classification"]["value"] == "confidential"
    event = await asyncio.wait_for(anext(aiter(assigned)), 5)
    assert (event.role, event.username) == ("commander", "hung")
    assert await timeline_kinds(context, incident["id"]) == [
        "opened",
        "details",
        "severity",
        "classification",
        "commander",
        "assignment",
    ]

    cleared = await client.patch(url, json={"assignee": None}, headers=commander)
    assert cleared.json()["assignee"] is None
    observer = await client.patch(url, json={"assignee": "quan"}, headers=commander)
    assert observer.status_code == 422
    assert "assignee" in observer.json()["detail"]
    unknown = await client.patch(url, json={"access": {"units": ["nowhere"]}}, headers=commander)
    assert unknown.status_code == 422
    assert "access.units" in unknown.json()["detail"]
    audit = [e for e in await audit_actions(context) if e.action == "incident.updated"]
    assert audit[0].before is not None
    assert audit[0].before["severity"] == "sev3"
    assert audit[0].after is not None
    assert audit[0].after["severity"] == "sev2"


async def test_notes_are_on_the_timeline(client: httpx.AsyncClient, context: AppContext) -> None:
    officer = await user_headers(context, "lan", Role.DUTY_OFFICER)
    incident = await _declare(client, officer)
    url = f"{API}/{incident['id']}"

    note = await client.post(f"{url}/notes", json={"text": "Called the provider."}, headers=officer)
    assert note.status_code == 201
    assert note.json()["description"] == "Called the provider."
    empty = await client.post(f"{url}/notes", json={"text": "   "}, headers=officer)
    assert empty.status_code == 422

    timeline = (await client.get(f"{url}/timeline", headers=officer)).json()
    assert [entry["kind"] for entry in timeline["entries"]] == ["opened", "note"]
    assert timeline["entries"][0]["description"].startswith("Incident opened: ")
    assert timeline["entries"][1]["actor"]["name"] == "lan"
