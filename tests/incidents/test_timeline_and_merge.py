"""The timeline is append-only and open to other domains; merging and linking alerts."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import delete, update
from sqlalchemy.exc import DBAPIError

from garrison.audit.actor import Actor
from garrison.auth.permissions import Role
from garrison.config.incidents import IntegrationKind
from garrison.i18n import use_language
from garrison.incidents.models import TimelineEntry
from garrison.incidents.timeline import (
    TimelineKind,
    add_timeline_entry,
    describe_entry,
    list_timeline,
)
from garrison.runtime.context import AppContext
from tests.auth.factories import bearer
from tests.incidents.factories import alerts, make_integration, user_headers

API = "/api/v1/incidents"


async def test_the_database_refuses_to_change_or_delete_timeline_entries(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    leader = await user_headers(context, "chi", Role.LEADER)
    await client.post(API, json={"title": "Power loss in hall B"}, headers=leader)

    for statement in (
        update(TimelineEntry).values(text="rewritten"),
        delete(TimelineEntry),
    ):
        async with context.sessions() as session:
            with pytest.raises(DBAPIError, match="append-only"):
                await session.execute(statement)
            await session.rollback()


async def test_escalation_can_add_its_own_entries(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    leader = await user_headers(context, "chi", Role.LEADER)
    incident_id = (await client.post(API, json={"title": "Uplink down"}, headers=leader)).json()[
        "id"
    ]

    async with context.sessions() as session:
        await add_timeline_entry(
            session,
            incident_id=incident_id,
            kind=TimelineKind.NOTIFICATION,
            at=context.clock.now(),
            actor=Actor.system("escalation"),
            data={"channel": "sms", "recipient": "lan", "result": "delivered"},
        )
        await session.commit()
        entries = await list_timeline(session, incident_id=incident_id)

    assert [entry.kind for entry in entries] == ["opened", "notification"]
    with use_language("en"):
        assert describe_entry(entries[1]) == "Notification to lan by sms: delivered"
    shown = (await client.get(f"{API}/{incident_id}/timeline", headers=leader)).json()
    assert shown["entries"][1]["actor"] == {"kind": "system", "id": None, "name": "escalation"}


async def test_merge_moves_alerts_and_closes_the_source(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    leader = await user_headers(context, "chi", Role.LEADER)
    key = await make_integration(context, IntegrationKind.WEBHOOK)
    for name, severity in (("a", "sev3"), ("b", "sev1")):
        await client.post(
            "/api/v1/integrations/webhook",
            json={"key": name, "summary": f"Alert {name}", "severity": severity, "group": name},
            headers=bearer(key),
        )
    target, source = 1, 2

    response = await client.post(
        f"{API}/{target}/merge", json={"source_incident_id": source}, headers=leader
    )

    assert response.status_code == 200, response.text
    merged = response.json()
    assert merged["alerts"] == 2
    assert merged["severity"]["value"] == "sev1"
    old = (await client.get(f"{API}/{source}", headers=leader)).json()
    assert (old["status"]["value"], old["merged_into"]) == ("closed", target)
    assert {alert.incident_id for alert in await alerts(context)} == {target}
    again = await client.post(
        f"{API}/{target}/merge", json={"source_incident_id": source}, headers=leader
    )
    assert again.status_code == 409
    reopen = await client.post(f"{API}/{source}/reopen", json={"reason": "x"}, headers=leader)
    assert reopen.status_code == 409
    itself = await client.post(
        f"{API}/{target}/merge", json={"source_incident_id": target}, headers=leader
    )
    assert itself.status_code == 422


async def test_link_alerts_by_hand(client: httpx.AsyncClient, context: AppContext) -> None:
    leader = await user_headers(context, "chi", Role.LEADER)
    key = await make_integration(context, IntegrationKind.WEBHOOK)
    for name in ("a", "b"):
        await client.post(
            "/api/v1/integrations/webhook",
            json={"key": name, "summary": f"Alert {name}", "group": name},
            headers=bearer(key),
        )

    response = await client.post(f"{API}/1/alerts", json={"alert_ids": [2]}, headers=leader)

    assert response.status_code == 200, response.text
    assert response.json()["alerts"] == 2
    missing = await client.post(f"{API}/1/alerts", json={"alert_ids": [99]}, headers=leader)
    assert missing.status_code == 404
    listed = (await client.get(f"{API}/1/alerts", headers=leader)).json()
    assert [alert["id"] for alert in listed] == [1, 2]
