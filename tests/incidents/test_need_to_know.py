"""Need-to-know on every incident route, role by role: hidden incidents do not exist."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from garrison.auth.permissions import Role
from garrison.runtime.context import AppContext
from tests.incidents.factories import sync_event, user_headers

API = "/api/v1/incidents"
Headers = dict[str, str]


@pytest.fixture
async def people(context: AppContext, tmp_path: Path) -> dict[str, Headers]:
    # lan is in the communications unit, minh in the cybersecurity unit (the event's people).
    await sync_event(context, tmp_path)
    return {
        "leader": await user_headers(context, "chi", Role.LEADER),
        "observer": await user_headers(context, "quan", Role.OBSERVER),
        "unlisted": await user_headers(context, "tuan", Role.DUTY_OFFICER),
        "listed": await user_headers(context, "anh", Role.DUTY_OFFICER),
        "unit member": await user_headers(context, "minh", Role.ANALYST),
    }


@pytest.fixture
async def incident_ids(client: httpx.AsyncClient, people: dict[str, Headers]) -> dict[str, int]:
    leader = people["leader"]
    ids: dict[str, int] = {}
    for classification in ("public", "internal", "confidential", "secret"):
        response = await client.post(
            API,
            json={"title": f"{classification} incident", "classification": classification},
            headers=leader,
        )
        assert response.status_code == 201, response.text
        ids[classification] = response.json()["id"]
    listed = {"access": {"users": ["anh"], "units": ["cyber"]}}
    response = await client.patch(f"{API}/{ids['confidential']}", json=listed, headers=leader)
    assert response.status_code == 200, response.text
    attachment = await client.post(
        f"{API}/{ids['confidential']}/attachments",
        files={"file": ("notes.txt", b"router config diff", "text/plain")},
        headers=leader,
    )
    assert attachment.status_code == 201, attachment.text
    return ids


EXPECTED = {
    "leader": {"public", "internal", "confidential", "secret"},
    "observer": {"public"},
    "unlisted": {"public", "internal"},
    "listed": {"public", "internal", "confidential"},
    "unit member": {"public", "internal", "confidential"},
}


@pytest.mark.parametrize("who", sorted(EXPECTED))
async def test_each_role_sees_exactly_what_it_may_on_every_route(
    who: str,
    client: httpx.AsyncClient,
    people: dict[str, Headers],
    incident_ids: dict[str, int],
) -> None:
    headers = people[who]
    listed = (await client.get(API, headers=headers)).json()["incidents"]
    assert {incident["title"].split()[0] for incident in listed} == EXPECTED[who]
    for classification, incident_id in incident_ids.items():
        visible = classification in EXPECTED[who]
        expected = 200 if visible else 404
        url = f"{API}/{incident_id}"
        for path in ("", "/timeline", "/alerts", "/attachments"):
            response = await client.get(url + path, headers=headers)
            assert response.status_code == expected, (who, classification, path)
        if not visible:
            # The same answer as for an incident that was never there.
            missing = await client.get(f"{API}/999999", headers=headers)
            assert (await client.get(url, headers=headers)).json() == {
                **missing.json(),
                "detail": missing.json()["detail"].replace("999999", str(incident_id)),
            }
    download = await client.get(
        f"{API}/{incident_ids['confidential']}/attachments/1", headers=headers
    )
    assert download.status_code == (200 if "confidential" in EXPECTED[who] else 404)
    statistics = (await client.get(f"{API}/statistics", headers=headers)).json()
    assert statistics["incidents"] == len(EXPECTED[who])


async def test_writing_to_a_hidden_incident_is_404_too(
    client: httpx.AsyncClient, people: dict[str, Headers], incident_ids: dict[str, int]
) -> None:
    url = f"{API}/{incident_ids['secret']}"
    unlisted = people["unlisted"]
    assert (await client.post(f"{url}/acknowledge", headers=unlisted)).status_code == 404
    note = await client.post(f"{url}/notes", json={"text": "hello"}, headers=unlisted)
    assert note.status_code == 404
    upload = await client.post(
        f"{url}/attachments", files={"file": ("a.txt", b"x", "text/plain")}, headers=unlisted
    )
    assert upload.status_code == 404


async def test_the_assignee_of_a_secret_incident_sees_it(
    client: httpx.AsyncClient, people: dict[str, Headers], incident_ids: dict[str, int]
) -> None:
    url = f"{API}/{incident_ids['secret']}"
    assert (await client.get(url, headers=people["unlisted"])).status_code == 404

    response = await client.patch(url, json={"assignee": "tuan"}, headers=people["leader"])
    assert response.status_code == 200

    assert (await client.get(url, headers=people["unlisted"])).status_code == 200
    titles = [
        i["title"] for i in (await client.get(API, headers=people["unlisted"])).json()["incidents"]
    ]
    assert "secret incident" in titles


async def test_declaring_a_confidential_incident_keeps_it_visible_to_its_author(
    client: httpx.AsyncClient, people: dict[str, Headers]
) -> None:
    response = await client.post(
        API,
        json={"title": "Suspicious login on the press PC", "classification": "confidential"},
        headers=people["unlisted"],
    )
    assert response.status_code == 201
    assert response.json()["access"]["users"] == ["tuan"]
    incident_id = response.json()["id"]
    assert (await client.get(f"{API}/{incident_id}", headers=people["unlisted"])).status_code == 200
    assert (await client.get(f"{API}/{incident_id}", headers=people["listed"])).status_code == 404
