"""Escalate now over HTTP: the API (permission, need-to-know, refusals, audit) and the
incident page's button (CSRF, shown to whom and when, the escalation's state)."""

from __future__ import annotations

from pathlib import Path

import httpx

from garrison.auth.permissions import Role
from garrison.incidents.models import Incident
from garrison.incidents.outbox import commit_and_publish
from garrison.incidents.transitions import resolve_incident
from garrison.incidents.vocabulary import Category, Classification
from garrison.runtime.context import AppContext
from tests.auth.factories import bearer, make_token, make_user
from tests.console.factories import browser_login
from tests.escalation.factories import (
    TEST_ACTOR,
    audit_actions,
    escalation_worker,
    notification_worker,
    open_test_incident,
    recipients,
)
from tests.notify.sinks import SmtpSink


async def _headers(context: AppContext, username: str, role: Role) -> dict[str, str]:
    await make_user(context, username, role=role)
    return bearer(await make_token(context, username))


async def _resolve(context: AppContext, incident_id: int) -> None:
    async with context.sessions() as session:
        found = await session.get_one(Incident, incident_id)
        await resolve_incident(session, incident=found, actor=TEST_ACTOR, now=context.clock.now())
        await commit_and_publish(session, context.bus)


async def test_the_api_escalates_now_for_a_duty_officer_and_refuses_an_observer(
    context: AppContext, config_path: Path, client: httpx.AsyncClient, smtp: SmtpSink
) -> None:
    incident_id = await open_test_incident(context)
    await escalation_worker(context, config_path).run_once()
    url = f"/api/v1/incidents/{incident_id}/escalate"
    observer = await _headers(context, "watcher", Role.OBSERVER)
    assert (await client.post(url, headers=observer)).status_code == 403
    officer = await _headers(context, "alpha", Role.DUTY_OFFICER)
    too_long = await client.post(url, json={"note": "x" * 501}, headers=officer)
    assert too_long.status_code == 422

    seen = (await client.get(f"/api/v1/incidents/{incident_id}/escalation", headers=officer)).json()
    answer = await client.post(
        url, json={"note": "No answer from Alpha", "expected_version": seen["version"]},
        headers=officer,
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["level"], body["round"], body["again"], body["timer_running"]) == (
        2,
        1,
        False,
        True,
    )
    assert body["notified"] == ["Echo", "Foxtrot"]
    assert body["escalation"]["next_level"] == 3
    assert body["escalation"]["version"] != seen["version"]
    # The same request again (a retry, a double click): nothing more is sent.
    doubled = await client.post(url, json={"expected_version": seen["version"]}, headers=officer)
    assert doubled.status_code == 409
    assert await recipients(context, incident_id) == ["alpha", "echo", "foxtrot"]
    assert (await audit_actions(context, str(incident_id))).count("escalation.escalated_now") == 1
    await notification_worker(context, config_path).deliver_once()
    assert len(await smtp.wait_for(3)) == 3

    await _resolve(context, incident_id)
    resolved = await client.post(url, headers=officer)
    assert resolved.status_code == 409
    assert "resolved or closed" in resolved.text
    missing = await client.post("/api/v1/incidents/99999/escalate", headers=officer)
    assert missing.status_code == 404


async def test_a_confidential_incident_cannot_be_escalated_by_who_may_not_see_it(
    context: AppContext, config_path: Path, client: httpx.AsyncClient
) -> None:
    secret = await open_test_incident(
        context,
        title="Intrusion on the portal",
        category=Category.UNAUTHORISED_ACCESS,
        classification=Classification.CONFIDENTIAL,
    )
    await escalation_worker(context, config_path).run_once()
    url = f"/api/v1/incidents/{secret}/escalate"
    bravo = await _headers(context, "bravo", Role.DUTY_OFFICER)
    assert (await client.post(url, headers=bravo)).status_code == 404
    leader = await _headers(context, "lima", Role.LEADER)
    assert (await client.post(url, headers=leader)).status_code == 200
    assert len(await recipients(context, secret)) == 3


async def test_the_incident_page_escalates_now_with_its_button(
    context: AppContext, config_path: Path, client: httpx.AsyncClient, smtp: SmtpSink
) -> None:
    incident_id = await open_test_incident(context)
    await escalation_worker(context, config_path).run_once()
    csrf = await browser_login(context, client, "delta", Role.COMMANDER)
    page = await client.get(f"/incidents/{incident_id}")
    assert page.status_code == 200
    assert 'data-shortcut="e"' in page.text
    assert "level 1 of 3 paged, round 1 of 2" in page.text
    version = page.text.split('name="expected_version" value="')[1].split('"')[0]

    url = f"/incidents/{incident_id}/escalate"
    refused = await client.post(url, data={"expected_version": version})
    assert refused.status_code == 403  # no CSRF token
    done = await client.post(url, data={"csrf_token": csrf, "expected_version": version})
    assert done.status_code == 303
    assert done.headers["location"] == f"/incidents/{incident_id}"
    assert await recipients(context, incident_id) == ["alpha", "echo", "foxtrot"]
    after = await client.get(f"/incidents/{incident_id}")
    assert "level 2 of 3 paged" in after.text
    assert "Escalated now by delta, to level 2 (round 1): Echo, Foxtrot" in after.text
    # A second click from the page as it was: refused on the page, nothing sent.
    again = await client.post(url, data={"csrf_token": csrf, "expected_version": version})
    assert again.status_code == 409
    assert 'role="alert"' in again.text
    assert await recipients(context, incident_id) == ["alpha", "echo", "foxtrot"]
    await notification_worker(context, config_path).deliver_once()
    assert len(await smtp.wait_for(3)) == 3

    await _resolve(context, incident_id)
    await escalation_worker(context, config_path).stop(incident_id, "resolved")
    closed = await client.get(f"/incidents/{incident_id}")
    assert 'data-shortcut="e"' not in closed.text
    assert "stopped <span" in closed.text


async def test_an_observer_sees_the_escalation_but_no_button(
    context: AppContext, config_path: Path, client: httpx.AsyncClient
) -> None:
    public = await open_test_incident(
        context, title="Press Wi-Fi down", classification=Classification.PUBLIC
    )
    await escalation_worker(context, config_path).run_once()
    csrf = await browser_login(context, client, "watcher", Role.OBSERVER)
    page = await client.get(f"/incidents/{public}")
    assert page.status_code == 200
    assert "level 1 of 3 paged" in page.text
    assert "/escalate" not in page.text
    refused = await client.post(f"/incidents/{public}/escalate", data={"csrf_token": csrf})
    assert refused.status_code == 403
    assert await recipients(context, public) == ["alpha"]
