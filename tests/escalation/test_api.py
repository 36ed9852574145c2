"""The escalation and notification API: policies, an incident's escalation and its pages,
stopping by hand, the outbox and a test message; permissions and audit."""

from __future__ import annotations

from pathlib import Path

import httpx

from garrison.auth.permissions import Role
from garrison.runtime.context import AppContext
from tests.auth.factories import bearer, make_token, make_user
from tests.escalation.factories import (
    audit_actions,
    escalation_worker,
    notification_worker,
    open_test_incident,
)
from tests.notify.sinks import SmtpSink


async def _headers(context: AppContext, username: str, role: Role) -> dict[str, str]:
    await make_user(context, username, role=role)
    return bearer(await make_token(context, username))


async def test_policies_and_an_incidents_escalation_can_be_read(
    context: AppContext, config_path: Path, client: httpx.AsyncClient
) -> None:
    headers = await _headers(context, "echo", Role.ENGINEER)
    policies = (await client.get("/api/v1/escalation/policies", headers=headers)).json()
    assert policies["default_policy"] == "standard"
    assert [p["id"] for p in policies["policies"]] == ["standard", "security"]
    assert policies["policies"][0]["steps"][0]["targets"] == [{"kind": "on_duty", "post": "noc"}]

    incident_id = await open_test_incident(context)
    await escalation_worker(context, config_path).run_once()
    answer = await client.get(f"/api/v1/incidents/{incident_id}/escalation", headers=headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["status"], body["policy_id"], body["round"], body["next_level"]) == (
        "active",
        "standard",
        1,
        2,
    )
    assert body["next_due_at"] == "2026-06-01T08:05:00Z"
    assert body["policy"]["repeat"] == 2


async def test_stopping_by_hand_needs_incident_manage_and_is_audited(
    context: AppContext, config_path: Path, client: httpx.AsyncClient
) -> None:
    incident_id = await open_test_incident(context)
    await escalation_worker(context, config_path).run_once()
    url = f"/api/v1/incidents/{incident_id}/escalation/stop"
    officer = await _headers(context, "alpha", Role.DUTY_OFFICER)
    assert (await client.post(url, json={"reason": "x"}, headers=officer)).status_code == 403
    commander = await _headers(context, "delta", Role.COMMANDER)
    assert (await client.post(url, json={"reason": ""}, headers=commander)).status_code == 422
    stopped = await client.post(url, json={"reason": "Handled by phone"}, headers=commander)
    assert stopped.status_code == 200, stopped.text
    assert (stopped.json()["status"], stopped.json()["stop_reason"]) == ("stopped", "manual")
    assert "escalation.stopped" in await audit_actions(context, str(incident_id))
    again = await client.post(url, json={"reason": "again"}, headers=commander)
    assert again.status_code == 409
    missing = await client.get("/api/v1/incidents/99999/escalation", headers=commander)
    assert missing.status_code == 404


async def test_an_incidents_notifications_show_every_attempt_without_secrets(
    context: AppContext, config_path: Path, client: httpx.AsyncClient, smtp: SmtpSink
) -> None:
    incident_id = await open_test_incident(context)
    await escalation_worker(context, config_path).run_once()
    await notification_worker(context, config_path).deliver_once()
    headers = await _headers(context, "echo", Role.ENGINEER)
    answer = await client.get(f"/api/v1/incidents/{incident_id}/notifications", headers=headers)
    assert answer.status_code == 200, answer.text
    [notification] = answer.json()
    assert (notification["recipient_id"], notification["status"]) == ("alpha", "delivered")
    [delivery] = notification["deliveries"]
    assert (delivery["channel"], delivery["address"], delivery["status"]) == (
        "email",
        "alpha@congress.example",
        "sent",
    )
    assert [attempt["outcome"] for attempt in delivery["history"]] == ["sent"]
    assert "token" not in answer.text


async def test_the_outbox_list_and_a_test_message(
    context: AppContext, config_path: Path, client: httpx.AsyncClient, smtp: SmtpSink
) -> None:
    admin = await _headers(context, "root", Role.ADMIN)
    queued = await client.post("/api/v1/notifications/test", json={"person": "kilo"}, headers=admin)
    assert queued.status_code == 202, queued.text
    assert queued.json()["deliveries"][0]["channel"] == "email"
    await notification_worker(context, config_path).deliver_once()
    [mail] = await smtp.wait_for(1)
    assert mail.recipients == ("kilo@congress.example",)
    assert mail.message["Subject"] == "Garrison test notification"
    assert "notification.test" in await audit_actions(context)

    unknown = await client.post(
        "/api/v1/notifications/test", json={"person": "nobody"}, headers=admin
    )
    assert unknown.status_code == 422
    commander = await _headers(context, "delta", Role.COMMANDER)
    refused = await client.post(
        "/api/v1/notifications/test", json={"person": "kilo"}, headers=commander
    )
    assert refused.status_code == 403
    page = (await client.get("/api/v1/notifications?kind=test", headers=commander)).json()
    assert [item["recipient_id"] for item in page["items"]] == ["kilo"]
    assert page["items"][0]["status"] == "delivered"
