"""Console pages over HTTP: permissions, need-to-know, CSRF, fragments and the stream."""

from __future__ import annotations

import httpx

from garrison.auth.permissions import Role
from garrison.incidents.vocabulary import Classification
from garrison.runtime.context import AppContext
from tests.auth.factories import bearer, make_token, make_user
from tests.console.factories import browser_login, make_incident


async def test_anonymous_browsers_are_sent_to_log_in(client: httpx.AsyncClient) -> None:
    for path in ("/wallboard", "/incidents", "/console/stream", "/wallboard/fragment/services"):
        response = await client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login?next="), path


async def test_the_wallboard_shows_every_area_with_live_fragments(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    incident_id = await make_incident(context, title="Press Wi-Fi down")
    await browser_login(context, client, "lan", Role.DUTY_OFFICER)
    page = await client.get("/wallboard")
    assert page.status_code == 200
    for area in ("clock", "services", "incidents", "duty", "directives"):
        assert f'data-src="/wallboard/fragment/{area}"' in page.text
    assert f'href="/incidents/{incident_id}"' in page.text
    assert 'meta name="csrf-token"' in page.text
    assert "<script" in page.text
    assert "/static/console.js" in page.text
    fragment = await client.get("/wallboard/fragment/incidents")
    assert fragment.status_code == 200
    assert "Press Wi-Fi down" in fragment.text
    assert "<html" not in fragment.text
    assert (await client.get("/wallboard/fragment/nothing")).status_code == 422


async def test_an_observer_sees_neither_a_confidential_incident_nor_that_it_exists(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    secret = await make_incident(
        context, title="Intrusion on the portal", classification=Classification.CONFIDENTIAL
    )
    await browser_login(context, client, "ngoc", Role.OBSERVER)
    listing = await client.get("/incidents", params={"state": ""})
    assert listing.status_code == 200
    assert "Intrusion on the portal" not in listing.text
    assert "Intrusion on the portal" not in (await client.get("/wallboard")).text
    assert (await client.get(f"/incidents/{secret}")).status_code == 404
    assert (await client.get("/incidents/999999")).status_code == 404


async def test_acknowledge_from_the_incident_page_needs_the_csrf_token(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    incident_id = await make_incident(context)
    csrf = await browser_login(context, client, "lan", Role.DUTY_OFFICER)
    page = await client.get(f"/incidents/{incident_id}")
    assert page.status_code == 200
    assert 'data-shortcut="a"' in page.text
    assert 'data-shortcut="r"' in page.text
    refused = await client.post(f"/incidents/{incident_id}/acknowledge", data={})
    assert refused.status_code == 403
    done = await client.post(f"/incidents/{incident_id}/acknowledge", data={"csrf_token": csrf})
    assert done.status_code == 303
    assert done.headers["location"] == f"/incidents/{incident_id}"
    after = await client.get(f"/incidents/{incident_id}")
    assert 'data-shortcut="a"' not in after.text
    again = await client.post(f"/incidents/{incident_id}/acknowledge", data={"csrf_token": csrf})
    assert again.status_code == 409
    assert 'role="alert"' in again.text


async def test_an_observer_may_read_but_not_act_on_an_incident(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    incident_id = await make_incident(context, classification=Classification.PUBLIC)
    csrf = await browser_login(context, client, "ngoc", Role.OBSERVER)
    page = await client.get(f"/incidents/{incident_id}")
    assert page.status_code == 200
    assert "/acknowledge" not in page.text
    response = await client.post(f"/incidents/{incident_id}/acknowledge", data={"csrf_token": csrf})
    assert response.status_code == 403


async def test_the_stream_is_for_browser_sessions_and_closes_on_shutdown(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    await make_user(context, "api-user", role=Role.OBSERVER)
    token = await make_token(context, "api-user")
    assert (await client.get("/console/stream", headers=bearer(token))).status_code == 409

    await browser_login(context, client, "lan", Role.DUTY_OFFICER)
    # A server that is stopping ends the stream at once with a goodbye.
    context.workers.stopping = True
    response = await client.get("/console/stream")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.text.startswith("retry: ")
    assert "event: bye" in response.text
