"""Grouping rules, the window, drills apart, and storm protection."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from garrison.auth.permissions import Role
from garrison.clock import ManualClock
from garrison.config.incidents import (
    GroupingRule,
    GroupingSettings,
    IncidentsConfig,
    IntegrationKind,
)
from garrison.runtime.context import AppContext
from tests.auth.factories import bearer
from tests.incidents.factories import (
    alerts,
    am_alert,
    am_payload,
    incidents,
    make_integration,
    set_policy,
    signal_count,
    sync_event,
    user_headers,
)

WEBHOOK = "/api/v1/integrations/webhook"
ALERTMANAGER = "/api/v1/integrations/alertmanager"


async def _send(client: httpx.AsyncClient, secret: str, **body: Any) -> str:
    body.setdefault("summary", f"Problem {body['key']}")
    response = await client.post(WEBHOOK, json=body, headers=bearer(secret))
    assert response.status_code == 202, response.text
    outcome: str = response.json()["results"][0]["outcome"]
    return outcome


async def test_three_hundred_alerts_of_one_alertmanager_group_are_one_incident(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    key = await make_integration(context, IntegrationKind.ALERTMANAGER)
    payload = am_payload([am_alert(f"check-{n:03d}", labels={"site": "hall"}) for n in range(300)])

    response = await client.post(ALERTMANAGER, json=payload, headers=bearer(key))

    assert response.status_code == 200
    assert response.json()["accepted"] == 300
    [incident] = await incidents(context)
    assert len(await alerts(context)) == 300
    assert incident.sites == ["hall"]


async def test_group_label_joins_only_within_the_window(
    client: httpx.AsyncClient, context: AppContext, clock: ManualClock
) -> None:
    await set_policy(context, IncidentsConfig(grouping=GroupingSettings(window_seconds=600)))
    key = await make_integration(context, IntegrationKind.WEBHOOK)

    assert await _send(client, key, key="a", group="core-dns") == "opened"
    clock.advance(590)
    assert await _send(client, key, key="b", group="core-dns") == "grouped"
    clock.advance(590)  # 590 s after the last alert of the group: still within
    assert await _send(client, key, key="c", group="core-dns") == "grouped"
    clock.advance(601)
    assert await _send(client, key, key="d", group="core-dns") == "opened"
    assert len(await incidents(context)) == 2


async def test_service_and_redundancy_rules_and_site_when_enabled(
    client: httpx.AsyncClient, context: AppContext, tmp_path: Path
) -> None:
    await sync_event(context, tmp_path)
    key = await make_integration(context, IntegrationKind.WEBHOOK)

    assert await _send(client, key, key="a", service="uplink-a") == "opened"
    assert await _send(client, key, key="b", service="uplink-a") == "grouped"  # same service
    assert await _send(client, key, key="c", service="uplink-b") == "grouped"  # its backup
    assert await _send(client, key, key="d", site="hall") == "opened"  # site: off by default
    assert await _send(client, key, key="e", site="hall") == "opened"

    rules = (GroupingRule.SITE,)
    await set_policy(context, IncidentsConfig(grouping=GroupingSettings(rules=rules)))
    assert await _send(client, key, key="f", site="press") == "opened"
    assert await _send(client, key, key="g", site="press") == "grouped"
    # Rules off: the service rule no longer applies.
    assert await _send(client, key, key="h", service="uplink-a") == "opened"


async def test_drills_and_real_alerts_never_group_together(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    key = await make_integration(context, IntegrationKind.WEBHOOK)

    assert await _send(client, key, key="a", group="g") == "opened"
    assert await _send(client, key, key="b", group="g", is_drill=True) == "opened"
    assert await _send(client, key, key="c", group="g", is_drill=True) == "grouped"
    real, drill = await incidents(context)
    assert not real.is_drill
    assert drill.is_drill
    assert drill.title == "[DRILL] Problem b"


async def test_a_storm_opens_one_incident_and_keeps_every_signal(
    client: httpx.AsyncClient, context: AppContext, clock: ManualClock
) -> None:
    key = await make_integration(context, IntegrationKind.WEBHOOK, rate_limit=5)

    outcomes = [await _send(client, key, key=f"k{n}") for n in range(12)]

    assert outcomes == ["opened"] * 5 + ["storm"] * 7
    storm = [incident for incident in await incidents(context) if incident.is_storm]
    assert len(storm) == 1
    assert storm[0].title == "Alert storm from webhook main"
    assert storm[0].severity == "sev2"
    assert sum(alert.incident_id == storm[0].id for alert in await alerts(context)) == 7
    assert await signal_count(context) == 12

    # Resolving still works inside the storm; once the minute has passed, alerts page again.
    assert await _send(client, key, key="k11", action="resolve") == "resolved"
    clock.advance(61)
    assert await _send(client, key, key="calm") == "opened"
    assert len(await incidents(context)) == 7


async def test_alerts_about_a_declared_incidents_service_join_it(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    leader = await user_headers(context, "chi", Role.LEADER)
    declared = await client.post(
        "/api/v1/incidents",
        json={"title": "Portal slow, reported by phone", "services": ["portal"]},
        headers=leader,
    )
    key = await make_integration(context, IntegrationKind.WEBHOOK)

    assert await _send(client, key, key="a", service="portal") == "grouped"
    [incident] = await incidents(context)
    assert incident.id == declared.json()["id"]
