"""Drills are marked everywhere and kept out of the real statistics."""

from __future__ import annotations

import httpx

from garrison.auth.permissions import Role
from garrison.clock import ManualClock
from garrison.config.incidents import IntegrationKind
from garrison.runtime.context import AppContext
from tests.auth.factories import bearer
from tests.incidents.factories import make_integration, user_headers

API = "/api/v1/incidents"


async def test_drill_incidents_are_marked_and_filtered(
    client: httpx.AsyncClient, context: AppContext, clock: ManualClock
) -> None:
    leader = await user_headers(context, "chi", Role.LEADER)
    key = await make_integration(context, IntegrationKind.WEBHOOK)
    await client.post(
        "/api/v1/integrations/webhook",
        json={"key": "ddos", "summary": "Portal flooded", "severity": "sev1", "is_drill": True},
        headers=bearer(key),
    )
    real = await client.post(API, json={"title": "Real outage", "severity": "sev2"}, headers=leader)
    manual_drill = await client.post(
        API, json={"title": "Scenario 7", "is_drill": True}, headers=leader
    )
    assert manual_drill.json()["title"] == "[DRILL] Scenario 7"
    assert manual_drill.json()["is_drill"] is True

    everything = (await client.get(API, headers=leader)).json()["incidents"]
    assert len(everything) == 3
    only_real = (await client.get(f"{API}?drill=false", headers=leader)).json()["incidents"]
    assert [incident["title"] for incident in only_real] == ["Real outage"]
    drills = (await client.get(f"{API}?drill=true", headers=leader)).json()["incidents"]
    assert sorted(i["title"] for i in drills) == ["[DRILL] Portal flooded", "[DRILL] Scenario 7"]
    # Renaming a drill keeps its mark.
    renamed = await client.patch(
        f"{API}/{manual_drill.json()['id']}", json={"title": "Scenario 7b"}, headers=leader
    )
    assert renamed.json()["title"] == "[DRILL] Scenario 7b"

    clock.advance(120)
    await client.post(f"{API}/{real.json()['id']}/acknowledge", headers=leader)
    for drill in drills:
        await client.post(f"{API}/{drill['id']}/acknowledge", headers=leader)

    statistics = (await client.get(f"{API}/statistics", headers=leader)).json()
    assert statistics["incidents"] == 1
    assert statistics["drills_included"] is False
    assert statistics["by_severity"] == {"sev2": 1}
    assert statistics["mean_seconds_to_acknowledge"] == 120.0
    with_drills = (await client.get(f"{API}/statistics?drill=true", headers=leader)).json()
    assert with_drills["incidents"] == 3


async def test_list_filters_and_paging(client: httpx.AsyncClient, context: AppContext) -> None:
    leader = await user_headers(context, "chi", Role.LEADER)
    for n in range(5):
        severity = "sev1" if n % 2 else "sev3"
        await client.post(API, json={"title": f"I{n}", "severity": severity}, headers=leader)

    first = (await client.get(f"{API}?limit=2", headers=leader)).json()
    assert [i["title"] for i in first["incidents"]] == ["I4", "I3"]
    second = (
        await client.get(f"{API}?limit=2&before_id={first['next_before_id']}", headers=leader)
    ).json()
    assert [i["title"] for i in second["incidents"]] == ["I2", "I1"]
    severe = (await client.get(f"{API}?severity=sev1", headers=leader)).json()["incidents"]
    assert [i["title"] for i in severe] == ["I3", "I1"]
    assert severe[0]["severity"] == {"value": "sev1", "label": "SEV1: critical"}
    bad = await client.get(f"{API}?status=sleeping", headers=leader)
    assert bad.status_code == 422
