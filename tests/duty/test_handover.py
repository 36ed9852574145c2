"""Handover notes: the outgoing person writes, the incoming one acknowledges, both on record.

At the test clock (2026-06-01 15:00 in Hà Nội) Alpha has just handed the NOC to Bravo.
"""

from __future__ import annotations

import httpx

from garrison.auth.permissions import Role
from garrison.clock import ManualClock
from garrison.runtime.context import AppContext
from tests.auth.factories import audit_actions
from tests.duty.factories import person_headers

API = "/api/v1/duty/handovers"
NOTE = {
    "post_id": "noc",
    "remarks": "Backup uplink flapped twice around 13:00; watch it.",
    "open_incidents": ["INC-12", "INC-14"],
    "pending_directives": ["Report uplink status to the steering committee by 18:00"],
    "references": ["CV 123/BCĐ"],
}


async def test_the_outgoing_person_writes_and_the_incoming_one_acknowledges(
    context: AppContext, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    alpha = await person_headers(context, "alpha")
    bravo = await person_headers(context, "bravo")
    written = await client.post(API, json=NOTE, headers=alpha)
    assert written.status_code == 201, written.text
    note = written.json()
    assert note["outgoing_person_id"] == "alpha"
    assert note["incoming_person_id"] == "bravo"
    assert (note["shift_start"], note["shift_end"]) == (
        "2026-06-01T00:00:00Z",
        "2026-06-01T08:00:00Z",
    )
    assert note["open_incidents"] == ["INC-12", "INC-14"]
    assert note["references"] == ["CV 123/BCĐ"]
    assert note["written_at"] == "2026-06-01T08:00:00Z"
    assert note["written_by"] == "alpha"
    assert note["acknowledged_at"] is None

    clock.advance(300)
    acknowledged = await client.post(
        f"{API}/{note['id']}/acknowledge", json={"remarks": "Read; on it."}, headers=bravo
    )
    assert acknowledged.status_code == 200, acknowledged.text
    assert acknowledged.json()["acknowledged_at"] == "2026-06-01T08:05:00Z"
    assert acknowledged.json()["acknowledged_by"] == "bravo"
    assert acknowledged.json()["acknowledgement_remarks"] == "Read; on it."
    twice = await client.post(f"{API}/{note['id']}/acknowledge", json={}, headers=bravo)
    assert twice.status_code == 409

    entries = [e for e in await audit_actions(context) if e.target_type == "duty_handover"]
    assert [(e.action, e.actor_name) for e in entries] == [
        ("duty.handover.write", "alpha"),
        ("duty.handover.acknowledge", "bravo"),
    ]
    assert entries[0].after is not None
    assert entries[0].after["remarks"] == NOTE["remarks"]
    assert entries[0].origin is not None
    assert entries[0].origin["address"] == "127.0.0.1"


async def test_only_the_incoming_person_may_acknowledge(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    alpha = await person_headers(context, "alpha")
    charlie = await person_headers(context, "charlie")
    note = (await client.post(API, json=NOTE, headers=alpha)).json()
    refused = await client.post(f"{API}/{note['id']}/acknowledge", json={}, headers=charlie)
    assert refused.status_code == 403
    assert "incoming person (bravo)" in refused.json()["detail"]
    missing = await client.post(f"{API}/999/acknowledge", json={}, headers=charlie)
    assert missing.status_code == 404


async def test_one_note_per_shift_and_only_from_who_held_the_post(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    alpha = await person_headers(context, "alpha")
    charlie = await person_headers(context, "charlie")
    stranger = await person_headers(context, "zulu")
    assert (await client.post(API, json=NOTE, headers=alpha)).status_code == 201
    again = await client.post(API, json=NOTE, headers=alpha)
    assert again.status_code == 409
    assert "already written" in again.json()["detail"]
    # Charlie's last shift ended at 07:00, eight hours ago.
    not_on_duty = await client.post(API, json=NOTE, headers=charlie)
    assert not_on_duty.status_code == 409
    unknown = await client.post(API, json=NOTE, headers=stranger)
    assert unknown.status_code == 403
    assert "not a person of the event configuration" in unknown.json()["detail"]
    leader = await person_headers(context, "lima", role=Role.LEADER)
    assert (await client.post(API, json=NOTE, headers=leader)).status_code == 403


async def test_the_note_is_checked_for_size(context: AppContext, client: httpx.AsyncClient) -> None:
    alpha = await person_headers(context, "alpha")
    too_many = NOTE | {"open_incidents": [f"INC-{n}" for n in range(201)], "remarks": "x" * 10_001}
    response = await client.post(API, json=too_many, headers=alpha)
    assert response.status_code == 422
    fields = {problem["field"] for problem in response.json()["problems"]}
    assert fields == {"body.open_incidents", "body.remarks"}
    empty_item = NOTE | {"references": [""]}
    response = await client.post(API, json=empty_item, headers=alpha)
    assert {p["field"] for p in response.json()["problems"]} == {"body.references.0"}


async def test_history_newest_first_with_pages(
    context: AppContext, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    alpha = await person_headers(context, "alpha")
    bravo = await person_headers(context, "bravo")
    delta = await person_headers(context, "delta", role=Role.COMMANDER)
    first = (await client.post(API, json=NOTE, headers=alpha)).json()
    # Delta holds the command post until 19:00; his note names Echo as incoming.
    command_note = NOTE | {"post_id": "command", "open_incidents": []}
    second = (await client.post(API, json=command_note, headers=delta)).json()
    assert second["incoming_person_id"] == "echo"
    clock.advance(8 * 3600)
    third = (await client.post(API, json=NOTE, headers=bravo)).json()
    assert third["incoming_person_id"] == "charlie"

    page = (await client.get(API, params={"limit": 2}, headers=alpha)).json()
    assert [n["id"] for n in page["notes"]] == [third["id"], second["id"]]
    rest = await client.get(
        API, params={"limit": 2, "before_id": page["next_before_id"]}, headers=alpha
    )
    assert [n["id"] for n in rest.json()["notes"]] == [first["id"]]
    assert rest.json()["next_before_id"] is None
    noc = (await client.get(API, params={"post": "noc"}, headers=alpha)).json()
    assert [n["id"] for n in noc["notes"]] == [third["id"], first["id"]]
    open_ones = await client.get(API, params={"unacknowledged": True}, headers=alpha)
    assert len(open_ones.json()["notes"]) == 3
    one = await client.get(f"{API}/{first['id']}", headers=alpha)
    assert one.json()["remarks"] == NOTE["remarks"]
