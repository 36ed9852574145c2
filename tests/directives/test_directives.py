"""Directives: issued by leaders and commanders, answered by their receiver, followed up when
overdue, seen by whom they concern, on the incident's timeline, audited."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from garrison.auth.permissions import Role
from garrison.clock import ManualClock
from garrison.directives.worker import DirectiveWorker
from garrison.runtime.context import AppContext
from tests.auth.factories import bearer, make_token, make_user
from tests.escalation.factories import (
    PEOPLE,
    advance,
    audit_actions,
    loader,
    notifications,
    open_test_incident,
    timeline,
)

Headers = dict[str, str]


async def _everyone(context: AppContext) -> dict[str, Headers]:
    headers = {}
    for person_id, (_name, _unit, role) in PEOPLE.items():
        await make_user(context, person_id, role=role)
        headers[person_id] = bearer(await make_token(context, person_id))
    await make_user(context, "watcher", role=Role.OBSERVER)
    headers["watcher"] = bearer(await make_token(context, "watcher"))
    return headers


def _in(context: AppContext, minutes: float) -> str:
    return (context.clock.now() + timedelta(minutes=minutes)).isoformat()


async def _issue(client: httpx.AsyncClient, headers: Headers, **body: Any) -> dict[str, Any]:
    answer = await client.post("/api/v1/directives", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    issued: dict[str, Any] = answer.json()
    return issued


async def test_a_directive_on_an_incident_is_issued_acknowledged_and_completed(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    people = await _everyone(context)
    incident_id = await open_test_incident(context)
    directive = await _issue(
        client,
        people["lima"],
        text="Switch the press centre to the backup uplink",
        to={"kind": "person", "id": "echo"},
        deadline=_in(context, 60),
        incident_id=incident_id,
    )
    assert (directive["status"], directive["to_name"], directive["issued_by"]) == (
        "issued",
        "Echo",
        "lima",
    )
    url = f"/api/v1/directives/{directive['id']}"
    # Foxtrot is neither its issuer nor its receiver: for him it does not exist.
    assert (await client.get(url, headers=people["foxtrot"])).status_code == 404
    assert (await client.post(f"{url}/acknowledge", headers=people["foxtrot"])).status_code == 404
    acknowledged = await client.post(f"{url}/acknowledge", headers=people["echo"])
    assert acknowledged.json()["status"] == "acknowledged"
    empty = await client.post(f"{url}/complete", json={"note": " "}, headers=people["echo"])
    assert empty.status_code == 422
    done = await client.post(
        f"{url}/complete",
        json={"note": "Backup uplink carries the press centre"},
        headers=people["echo"],
    )
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["completed_by"]) == ("completed", "echo")
    again = await client.post(f"{url}/acknowledge", headers=people["echo"])
    assert again.status_code == 409

    events = [e.data["event"] for e in await timeline(context, incident_id, "directive")]
    assert events == ["issued", "acknowledged", "completed"]
    actions = [a for a in await audit_actions(context, str(directive["id"])) if "directive" in a]
    assert actions == ["directive.issued", "directive.acknowledged", "directive.completed"]
    [told] = await notifications(context, incident_id)
    assert (told.kind, told.recipient_id, told.directive_id) == (
        "directive_issued",
        "echo",
        directive["id"],
    )


async def test_a_post_means_whoever_holds_it_and_a_unit_any_member(
    context: AppContext, clock: ManualClock, client: httpx.AsyncClient
) -> None:
    people = await _everyone(context)
    to_post = await _issue(
        client,
        people["delta"],
        text="Log every link test",
        to={"kind": "post", "id": "noc"},
        deadline=_in(context, 24 * 60),
    )
    assert to_post["receiver_person_id"] == "alpha"
    advance(clock, minutes=8 * 60)  # Bravo holds the NOC now
    url = f"/api/v1/directives/{to_post['id']}"
    assert (await client.post(f"{url}/acknowledge", headers=people["bravo"])).status_code == 200
    to_unit = await _issue(
        client,
        people["lima"],
        text="Review the firewall rules",
        to={"kind": "unit", "id": "cyber"},
        deadline=_in(context, 120),
    )
    assert to_unit["receiver_person_id"] == "kilo"
    done = await client.post(
        f"/api/v1/directives/{to_unit['id']}/complete",
        json={"note": "Reviewed"},
        headers=people["mike"],
    )
    assert done.status_code == 200, done.text
    refused = await client.post(
        f"/api/v1/directives/{to_unit['id']}/complete",
        json={"note": "x"},
        headers=people["echo"],
    )
    assert refused.status_code == 404
    assert [n.recipient_id for n in await notifications(context)] == ["alpha", "kilo"]


async def test_who_sees_which_directives(context: AppContext, client: httpx.AsyncClient) -> None:
    people = await _everyone(context)
    by_lima = await _issue(
        client,
        people["lima"],
        text="A",
        to={"kind": "person", "id": "echo"},
        deadline=_in(context, 60),
    )
    by_delta = await _issue(
        client,
        people["delta"],
        text="B",
        to={"kind": "post", "id": "noc"},
        deadline=_in(context, 60),
    )
    by_kilo = await _issue(
        client,
        people["kilo"],
        text="C",
        to={"kind": "person", "id": "mike"},
        deadline=_in(context, 60),
    )

    async def ids(who: str, query: str = "") -> list[int]:
        answer = await client.get(f"/api/v1/directives{query}", headers=people[who])
        assert answer.status_code == 200, answer.text
        return [item["id"] for item in answer.json()["items"]]

    everything = [by_kilo["id"], by_delta["id"], by_lima["id"]]
    assert await ids("lima") == everything  # leaders see every directive
    assert await ids("lima", "?issued_by=me") == [by_lima["id"]]
    assert await ids("delta") == [by_delta["id"]]
    assert await ids("alpha") == [by_delta["id"]]  # on duty at the NOC
    assert await ids("alpha", "?assigned_to=me") == [by_delta["id"]]
    assert await ids("echo", "?assigned_to=me&status=open") == [by_lima["id"]]
    assert await ids("watcher") == []
    assert await ids("watcher", "?assigned_to=me") == []
    observer_issue = await client.post(
        "/api/v1/directives",
        json={"text": "x", "to": {"kind": "unit", "id": "comms"}, "deadline": _in(context, 5)},
        headers=people["watcher"],
    )
    assert observer_issue.status_code == 403
    officer_issue = await client.post(
        "/api/v1/directives",
        json={"text": "x", "to": {"kind": "unit", "id": "comms"}, "deadline": _in(context, 5)},
        headers=people["alpha"],
    )
    assert officer_issue.status_code == 403
    cancel = f"/api/v1/directives/{by_lima['id']}/cancel"
    assert (await client.post(cancel, headers=people["delta"])).status_code == 404
    assert (await client.post(cancel, headers=people["kilo"])).status_code == 200


async def test_bad_directives_are_refused_naming_the_field(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    people = await _everyone(context)
    cases = [
        ({"to": {"kind": "person", "id": "nobody"}, "deadline": _in(context, 5)}, "to.id"),
        ({"to": {"kind": "post", "id": "noc"}, "deadline": _in(context, -5)}, "deadline"),
        ({"to": {"kind": "team", "id": "noc"}, "deadline": _in(context, 5)}, "to.kind"),
        ({"to": {"kind": "post", "id": "noc"}, "deadline": "2026-06-01T09:00:00"}, "deadline"),
    ]
    for extra, field in cases:
        answer = await client.post(
            "/api/v1/directives", json={"text": "Do it", **extra}, headers=people["lima"]
        )
        assert answer.status_code == 422, (extra, answer.text)
        assert field in answer.text, (field, answer.text)
    hidden = await client.post(
        "/api/v1/directives",
        json={
            "text": "Do it",
            "to": {"kind": "post", "id": "noc"},
            "deadline": _in(context, 5),
            "incident_id": 424242,
        },
        headers=people["lima"],
    )
    assert hidden.status_code == 404


async def test_an_overdue_directive_is_reminded_then_escalated_to_its_issuer(
    context: AppContext, clock: ManualClock, config_path: Path, client: httpx.AsyncClient
) -> None:
    people = await _everyone(context)
    incident_id = await open_test_incident(context)
    directive = await _issue(
        client,
        people["delta"],
        text="Call the provider",
        to={"kind": "person", "id": "echo"},
        deadline=_in(context, 30),
        incident_id=incident_id,
    )
    worker = DirectiveWorker(context, load_event=lambda: loader(config_path))
    assert await worker.run_once() == []
    advance(clock, minutes=30)
    assert await worker.run_once() == [(directive["id"], "reminded")]
    assert await worker.run_once() == []
    advance(clock, minutes=29)
    assert await worker.run_once() == []
    advance(clock, minutes=1)
    assert await worker.run_once() == [(directive["id"], "overdue_escalated")]
    advance(clock, minutes=60)
    assert await worker.run_once() == []

    told = [(n.kind, n.recipient_id) for n in await notifications(context, incident_id)]
    assert told == [
        ("directive_issued", "echo"),
        ("directive_reminder", "echo"),
        ("directive_overdue", "delta"),
    ]
    state = await client.get(f"/api/v1/directives/{directive['id']}", headers=people["delta"])
    body = state.json()
    assert body["overdue"] is True
    assert body["reminded_at"] == "2026-06-01T08:30:00Z"
    assert body["escalated_at"] == "2026-06-01T09:00:00Z"
    events = [e.data["event"] for e in await timeline(context, incident_id, "directive")]
    assert events == ["issued", "reminded", "overdue_escalated"]
    assert "directive.overdue_escalated" in await audit_actions(context, str(directive["id"]))
