"""An Alertmanager flood: a post of many alerts costs a bounded number of statements.

Alerts joining an incident in one transaction share one timeline entry; duplicates,
resolves and new alerts mixed in one post keep their order; an oversize post writes
nothing.
"""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from garrison.config.incidents import IntegrationKind
from garrison.incidents.models import TimelineEntry
from garrison.incidents.timeline import describe_entry
from garrison.runtime.context import AppContext
from tests.auth.factories import audit_actions, bearer
from tests.incidents.factories import (
    alerts,
    am_alert,
    am_payload,
    incidents,
    make_integration,
    signal_count,
    timeline_kinds,
)
from tests.sql_statements import statements

URL = "/api/v1/integrations/alertmanager"


async def _entries(context: AppContext, incident_id: int) -> list[TimelineEntry]:
    async with context.sessions() as session:
        query = (
            select(TimelineEntry)
            .where(TimelineEntry.incident_id == incident_id)
            .order_by(TimelineEntry.id)
        )
        return list((await session.scalars(query)).all())


def _fingerprints(prefix: str, count: int) -> list[dict[str, Any]]:
    return [am_alert(f"{prefix}-{n}") for n in range(count)]


async def test_alerts_joining_an_incident_cost_the_same_statements_however_many(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    key = await make_integration(context, IntegrationKind.ALERTMANAGER, rate_limit=100_000)
    opened = await client.post(URL, json=am_payload([am_alert("first")]), headers=bearer(key))
    assert opened.status_code == 200, opened.text

    counts = []
    for prefix, size in (("small", 20), ("large", 400)):
        with statements(context) as sent:
            response = await client.post(
                URL, json=am_payload(_fingerprints(prefix, size)), headers=bearer(key)
            )
        assert response.status_code == 200, response.text
        assert {result["outcome"] for result in response.json()["results"]} == {"grouped"}
        counts.append(len(sent))

    # Not one statement per alert: the same few for 20 alerts as for 400.
    assert counts[0] == counts[1], counts
    assert counts[1] <= 20, counts
    # Alertmanager sends the firing alerts again: deduplicated, as cheaply.
    with statements(context) as sent:
        again = await client.post(
            URL, json=am_payload(_fingerprints("large", 400)), headers=bearer(key)
        )
    assert {result["outcome"] for result in again.json()["results"]} == {"deduplicated"}
    assert len(sent) <= 20, sent
    [incident] = await incidents(context)
    stored = await alerts(context)
    assert sum(alert.incident_id == incident.id for alert in stored) == 421
    assert {alert.signal_count for alert in stored if "large" in alert.dedup_key} == {2}
    assert await signal_count(context) == 821
    # One entry per post: the opening alert, then each post's run of joining alerts.
    entries = await _entries(context, incident.id)
    assert [entry.kind for entry in entries] == ["opened", "alert", "alert", "alert"]
    assert [entry.data.get("count") for entry in entries[1:]] == [None, 20, 400]
    assert len(entries[3].data["alert_ids"]) == len(set(entries[3].data["alert_ids"])) == 400
    assert describe_entry(entries[2]) == (
        "20 alerts from alertmanager main, the first: Link down at small-0"
    )
    assert describe_entry(entries[1]) == "Alert from alertmanager main: Link down at first"


async def test_a_flood_of_resolves_costs_a_few_statements_and_resolves_at_the_end(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    key = await make_integration(context, IntegrationKind.ALERTMANAGER, rate_limit=100_000)
    for prefix in ("a", "b"):
        posted = await client.post(
            URL, json=am_payload(_fingerprints(prefix, 300)), headers=bearer(key)
        )
        assert posted.status_code == 200, posted.text

    def resolved(prefix: str) -> dict[str, Any]:
        alerts = [am_alert(f"{prefix}-{n}", status="resolved") for n in range(300)]
        return am_payload(alerts)

    sent_counts = []
    for prefix in ("a", "b"):
        with statements(context) as sent:
            response = await client.post(URL, json=resolved(prefix), headers=bearer(key))
        assert {result["outcome"] for result in response.json()["results"]} == {"resolved"}
        sent_counts.append(len(sent))
        [incident] = await incidents(context)
        # Still firing after the first half; resolved with the last alert of the second.
        assert incident.status == ("triggered" if prefix == "a" else "resolved")

    assert max(sent_counts) <= 25, sent_counts
    assert {alert.status for alert in await alerts(context)} == {"resolved"}
    entries = await _entries(context, incident.id)
    assert [(entry.kind, entry.data.get("count")) for entry in entries] == [
        ("opened", None),
        ("alert", None),
        ("alert", 299),
        ("alert", 300),
        ("alert_resolved", 300),
        ("alert_resolved", 300),
        ("state_change", None),
    ]


async def test_duplicates_and_resolves_inside_one_post_keep_their_order(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    key = await make_integration(context, IntegrationKind.ALERTMANAGER)
    payload = am_payload(
        [
            am_alert("fp-1"),
            am_alert("fp-2"),
            am_alert("fp-1"),
            am_alert("fp-1", status="resolved"),
            am_alert("fp-1"),
            am_alert("fp-3"),
        ]
    )

    response = await client.post(URL, json=payload, headers=bearer(key))

    assert response.status_code == 200, response.text
    outcomes = [result["outcome"] for result in response.json()["results"]]
    assert outcomes == ["opened", "grouped", "deduplicated", "resolved", "grouped", "grouped"]
    [incident] = await incidents(context)
    assert incident.status == "triggered"  # fp-2 still fires
    stored = await alerts(context)
    assert [(a.dedup_key, a.status, a.signal_count) for a in stored] == [
        ("alertmanager:fp-1", "resolved", 3),
        ("alertmanager:fp-2", "firing", 1),
        ("alertmanager:fp-1", "firing", 1),
        ("alertmanager:fp-3", "firing", 1),
    ]
    assert await signal_count(context) == 6
    # The alert that opened the incident has its own entry; then one per run.
    entries = await _entries(context, incident.id)
    assert [(entry.kind, entry.data.get("count")) for entry in entries] == [
        ("opened", None),
        ("alert", None),
        ("alert", None),
        ("alert_resolved", None),
        ("alert", 2),
    ]
    assert [entries[n].data["alert_id"] for n in (1, 2, 3)] == [
        stored[0].id,
        stored[1].id,
        stored[0].id,
    ]
    assert entries[4].data["alert_ids"] == [stored[2].id, stored[3].id]


async def test_a_post_resolving_an_incident_then_firing_opens_another(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    key = await make_integration(context, IntegrationKind.ALERTMANAGER)
    first = await client.post(
        URL, json=am_payload([am_alert("a"), am_alert("b")]), headers=bearer(key)
    )
    assert first.status_code == 200, first.text

    mixed = am_payload(
        [am_alert("a", status="resolved"), am_alert("b", status="resolved"), am_alert("c")]
    )
    response = await client.post(URL, json=mixed, headers=bearer(key))

    outcomes = [result["outcome"] for result in response.json()["results"]]
    assert outcomes == ["resolved", "resolved", "opened"]
    resolved, opened = await incidents(context)
    assert (resolved.status, opened.status) == ("resolved", "triggered")
    assert response.json()["results"][2]["incident_id"] == opened.id
    # Both resolves in one entry, before the state change they caused.
    assert await timeline_kinds(context, resolved.id) == [
        "opened",
        "alert",
        "alert",
        "alert_resolved",
        "state_change",
    ]
    entries = await _entries(context, resolved.id)
    assert entries[3].data["count"] == 2
    assert describe_entry(entries[3]) == "2 alerts resolved, the first: Link down at a"


async def test_a_post_of_too_many_alerts_is_refused_and_writes_nothing(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    key = await make_integration(context, IntegrationKind.ALERTMANAGER)

    response = await client.post(
        URL, json=am_payload(_fingerprints("fp", 1001)), headers=bearer(key)
    )

    assert response.status_code == 400
    assert "alerts" in response.json()["detail"]
    assert await signal_count(context) == 0
    assert await incidents(context) == []
    assert await alerts(context) == []


async def test_a_worse_alert_inside_a_run_raises_the_severity_after_its_entry(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    key = await make_integration(context, IntegrationKind.ALERTMANAGER)
    payload = am_payload(
        [
            am_alert("a", labels={"severity": "warning"}),
            am_alert("b", labels={"severity": "warning"}),
            am_alert("c", labels={"severity": "critical"}),
            am_alert("d", labels={"severity": "warning"}),
        ]
    )

    response = await client.post(URL, json=payload, headers=bearer(key))

    assert response.status_code == 200, response.text
    [incident] = await incidents(context)
    assert incident.severity == "sev1"
    c_id = response.json()["results"][2]["alert_id"]
    entries = await _entries(context, incident.id)
    assert [(entry.kind, entry.data.get("count")) for entry in entries] == [
        ("opened", None),
        ("alert", None),
        ("alert", 2),
        ("severity", None),
        ("alert", None),
    ]
    assert entries[2].data["severity"] == "sev1"  # the worst of the run
    raised = [e for e in await audit_actions(context) if e.action == "incident.severity_raised"]
    assert [entry.after["alert_id"] for entry in raised if entry.after] == [c_id]
