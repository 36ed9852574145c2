"""The duty API: who is on duty, rosters, coverage, overrides and swaps, with permissions.

The test clock starts at 2026-06-01 15:00 in Hà Nội (a Monday): Bravo takes the NOC,
Delta holds the command post from 07:00 to 19:00.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from garrison.auth.permissions import Role
from garrison.clock import ManualClock
from garrison.duty.views import router as duty_router
from garrison.runtime.assembly import open_context
from garrison.runtime.context import AppContext
from garrison.settings import Settings
from tests.auth.factories import audit_actions, client_from
from tests.duty.factories import person_headers, write_config

API = "/api/v1/duty"


def _who(entry: dict[str, Any] | None) -> tuple[str, str, str] | None:
    if entry is None:
        return None
    return (entry["person_id"], entry["start"], entry["end"])


async def test_posts_show_who_is_on_duty_now_and_next(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    headers = await person_headers(context, "watcher", role=Role.OBSERVER)
    response = await client.get(f"{API}/posts", headers=headers)
    assert response.status_code == 200, response.text
    posts = {post["post_id"]: post for post in response.json()}
    assert list(posts) == ["command", "noc"]
    command, noc = posts["command"], posts["noc"]
    assert _who(command["on_duty"]) == ("delta", "2026-06-01T00:00:00Z", "2026-06-01T12:00:00Z")
    assert _who(command["next"]) == ("echo", "2026-06-01T12:00:00Z", "2026-06-02T00:00:00Z")
    assert _who(noc["on_duty"]) == ("bravo", "2026-06-01T08:00:00Z", "2026-06-01T16:00:00Z")
    assert noc["on_duty"]["person_name"] == "Bravo"
    assert noc["on_duty"]["source"] == "rotation"
    assert noc["on_duty"]["layer"] == "base"
    assert _who(noc["next"]) == ("charlie", "2026-06-01T16:00:00Z", "2026-06-02T00:00:00Z")
    assert noc["at"] == "2026-06-01T08:00:00Z"


async def test_one_post_at_a_given_time(context: AppContext, client: httpx.AsyncClient) -> None:
    headers = await person_headers(context, "watcher", role=Role.OBSERVER)
    response = await client.get(
        f"{API}/posts/noc", params={"at": "2026-06-01T10:00:00"}, headers=headers
    )
    assert response.status_code == 200
    assert _who(response.json()["on_duty"])[0] == "alpha"  # type: ignore[index]
    unknown = await client.get(f"{API}/posts/radar", headers=headers)
    assert unknown.status_code == 404
    assert unknown.json()["detail"] == "No post has the id radar."


async def test_roster_by_day_and_by_week(context: AppContext, client: httpx.AsyncClient) -> None:
    headers = await person_headers(context, "watcher", role=Role.OBSERVER)
    day = await client.get(
        f"{API}/posts/noc/roster", params={"date": "2026-06-02"}, headers=headers
    )
    assert day.status_code == 200, day.text
    body = day.json()
    assert (body["start"], body["end"]) == ("2026-06-01T17:00:00Z", "2026-06-02T17:00:00Z")
    assert body["timezone"] == "Asia/Ho_Chi_Minh"
    [only] = body["days"]
    # The night shift that began the evening before is listed with its real bounds.
    assert [(a["person_id"], a["start"]) for a in only["assignments"]] == [
        ("charlie", "2026-06-01T16:00:00Z"),
        ("alpha", "2026-06-02T00:00:00Z"),
        ("bravo", "2026-06-02T08:00:00Z"),
        ("charlie", "2026-06-02T16:00:00Z"),
    ]
    week = await client.get(
        f"{API}/posts/command/roster",
        params={"date": "2026-06-04", "period": "week"},
        headers=headers,
    )
    days = week.json()["days"]
    assert [d["date"] for d in days] == [f"2026-06-0{n}" for n in range(1, 8)]
    assert [len(d["assignments"]) for d in days] == [3, 3, 3, 3, 3, 3, 3]
    assert week.json()["period"] == "week"


async def test_coverage_reports_gaps(
    context: AppContext, client: httpx.AsyncClient, config_path: Path
) -> None:
    headers = await person_headers(context, "watcher", role=Role.OBSERVER)
    covered = (await client.get(f"{API}/coverage", headers=headers)).json()
    assert covered["covered"] is True
    assert covered["gaps"] == []
    assert covered["double_bookings"] == []
    # The configuration file is read again once it changes.
    write_config(
        config_path,
        """
duty:
  rotations:
    - {post: noc, shift_length: 8, handoff_time: "07:00", people: [alpha], start: 2026-06-06}
""",
    )
    broken = (await client.get(f"{API}/coverage", headers=headers)).json()
    assert broken["covered"] is False
    assert broken["gaps"] == [
        {"post_id": "command", "start": "2026-05-31T00:00:00Z", "end": "2026-06-07T00:00:00Z"},
        {"post_id": "noc", "start": "2026-05-31T00:00:00Z", "end": "2026-06-06T00:00:00Z"},
    ]


async def test_overrides_need_duty_manage_and_are_audited(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    officer = await person_headers(context, "bravo")
    commander = await person_headers(context, "delta", role=Role.COMMANDER)
    body = {
        "post_id": "noc",
        "person_id": "standin",
        "start": "2026-06-01T16:00:00",
        "end": "2026-06-01T18:00:00",
        "reason": "Bravo at the dentist",
    }
    assert (await client.post(f"{API}/overrides", json=body, headers=officer)).status_code == 403
    created = await client.post(f"{API}/overrides", json=body, headers=commander)
    assert created.status_code == 201, created.text
    override = created.json()
    assert (override["start"], override["end"]) == ("2026-06-01T09:00:00Z", "2026-06-01T11:00:00Z")
    assert override["created_by"] == "delta"
    now = await client.get(f"{API}/posts/noc", params={"at": "2026-06-01T16:30"}, headers=officer)
    assert now.json()["on_duty"]["person_id"] == "standin"
    assert now.json()["on_duty"]["source"] == "override"
    listed = await client.get(f"{API}/overrides", params={"post": "noc"}, headers=officer)
    assert [item["id"] for item in listed.json()] == [override["id"]]

    cancelled = await client.delete(f"{API}/overrides/{override['id']}", headers=commander)
    assert cancelled.status_code == 200
    assert cancelled.json()["cancelled_by"] == "delta"
    again = await client.delete(f"{API}/overrides/{override['id']}", headers=commander)
    assert again.status_code == 409
    after = await client.get(f"{API}/posts/noc", params={"at": "2026-06-01T16:30"}, headers=officer)
    assert after.json()["on_duty"]["person_id"] == "bravo"
    assert (await client.get(f"{API}/overrides", headers=officer)).json() == []
    everything = await client.get(
        f"{API}/overrides", params={"include_cancelled": "true"}, headers=officer
    )
    assert len(everything.json()) == 1
    actions = [
        e.action
        for e in await audit_actions(context, target_id=str(override["id"]))
        if e.target_type == "duty_override"
    ]
    assert actions == ["duty.override.add", "duty.override.cancel"]


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        ({"person_id": "nobody"}, "person: no person has the id nobody."),
        ({"end": "2026-06-01T15:00:00"}, "end: an override must end after it starts."),
        ({"end": "2027-07-01T15:00:00"}, "end: an override may last at most 366 days."),
    ],
)
async def test_bad_overrides_are_refused_naming_the_field(
    context: AppContext, client: httpx.AsyncClient, change: dict[str, str], detail: str
) -> None:
    commander = await person_headers(context, "delta", role=Role.COMMANDER)
    body = {"post_id": "noc", "person_id": "standin", "start": "2026-06-01T16:00:00"}
    body |= {"end": "2026-06-01T18:00:00"} | change
    response = await client.post(f"{API}/overrides", json=body, headers=commander)
    assert response.status_code == 422
    assert response.json()["detail"] == detail


async def test_oversized_or_unknown_fields_are_refused(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    commander = await person_headers(context, "delta", role=Role.COMMANDER)
    body = {
        "post_id": "noc",
        "person_id": "standin",
        "start": "2026-06-01T16:00:00",
        "end": "2026-06-01T18:00:00",
        "reason": "x" * 1001,
        "colour": "red",
    }
    response = await client.post(f"{API}/overrides", json=body, headers=commander)
    assert response.status_code == 422
    fields = {problem["field"] for problem in response.json()["problems"]}
    assert fields == {"body.reason", "body.colour"}


async def test_swaps_exchange_two_shifts(context: AppContext, client: httpx.AsyncClient) -> None:
    commander = await person_headers(context, "delta", role=Role.COMMANDER)
    body = {
        "post_id": "noc",
        "first": {"person_id": "alpha", "shift_start": "2026-06-02T07:00:00"},
        "second": {"person_id": "charlie", "shift_start": "2026-06-02T23:00:00"},
        "reason": "family",
    }
    created = await client.post(f"{API}/swaps", json=body, headers=commander)
    assert created.status_code == 201, created.text
    roster = await client.get(
        f"{API}/posts/noc/roster", params={"date": "2026-06-02"}, headers=commander
    )
    held = [(a["person_id"], a["source"]) for a in roster.json()["days"][0]["assignments"]]
    assert held == [
        ("charlie", "rotation"),
        ("charlie", "swap"),
        ("bravo", "rotation"),
        ("alpha", "swap"),
    ]
    again = await client.post(f"{API}/swaps", json=body, headers=commander)
    assert again.status_code == 422
    assert "is already swapped" in again.json()["detail"]
    cancelled = await client.delete(f"{API}/swaps/{created.json()['id']}", headers=commander)
    assert cancelled.status_code == 200
    listed = await client.get(f"{API}/swaps", params={"include_cancelled": True}, headers=commander)
    assert [swap["cancelled_by"] for swap in listed.json()] == ["delta"]


async def test_a_swap_of_a_shift_nobody_holds_names_the_field(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    commander = await person_headers(context, "delta", role=Role.COMMANDER)
    body = {
        "post_id": "noc",
        "first": {"person_id": "alpha", "shift_start": "2026-06-02T07:00:00"},
        "second": {"person_id": "charlie", "shift_start": "2026-06-02T15:00:00"},
    }
    response = await client.post(f"{API}/swaps", json=body, headers=commander)
    assert response.status_code == 422
    assert response.json()["detail"] == (
        "second.person: charlie does not hold the shift starting at 2026-06-02 15:00+07:00"
    )
    body["layer"] = "nights"
    response = await client.post(f"{API}/swaps", json=body, headers=commander)
    assert response.json()["detail"] == "layer: post noc has no rotation layer nights."


async def test_without_a_configuration_file_duty_answers_409(
    database_url: str, tmp_path: Path, clock: ManualClock
) -> None:
    settings = Settings(data_dir=tmp_path / "bare", database_url=database_url)
    async with open_context(settings, clock=clock) as bare:
        headers = await person_headers(bare, "watcher", role=Role.OBSERVER)
        async with client_from(bare, "127.0.0.1") as client:
            response = await client.get(f"{API}/posts", headers=headers)
            assert response.status_code == 409
            assert "without a configuration file" in response.json()["detail"]
            # What lives in the database alone is still readable.
            assert (await client.get(f"{API}/handovers", headers=headers)).status_code == 200


def test_the_duty_api_is_described_in_openapi() -> None:
    # The duty router alone: the whole app's document is the web layer's concern.
    app = FastAPI()
    app.include_router(duty_router, prefix="/api/v1")
    document = app.openapi()
    paths = {path for path in document["paths"] if path.startswith(API)}
    assert paths == {
        f"{API}/posts",
        f"{API}/posts/{{post_id}}",
        f"{API}/posts/{{post_id}}/roster",
        f"{API}/coverage",
        f"{API}/overrides",
        f"{API}/overrides/{{override_id}}",
        f"{API}/swaps",
        f"{API}/swaps/{{swap_id}}",
        f"{API}/handovers",
        f"{API}/handovers/{{handover_id}}",
        f"{API}/handovers/{{handover_id}}/acknowledge",
        f"{API}/checkin",
        f"{API}/checkins",
    }
    check_in = document["paths"][f"{API}/checkin"]["post"]
    assert check_in["tags"] == ["duty"]
    assert check_in["summary"] == "Check In"
    assert "confirms presence" in check_in["description"]
    assert "OnDutyOut" in document["components"]["schemas"]
