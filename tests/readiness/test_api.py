"""Every readiness route over HTTP, with its permission: readers (every role) read; the
commander (readiness:manage) edits plans, tasks and inspections; responders tick steps."""

from __future__ import annotations

import httpx
import pytest

from garrison.auth.permissions import Role
from garrison.incidents.outbox import commit_and_publish
from garrison.incidents.service import NewIncident, open_incident
from garrison.incidents.vocabulary import Category, Classification, Severity
from garrison.readiness.worker import ReadinessWorker
from garrison.runtime.context import AppContext
from tests.auth.factories import bearer, make_token, make_user
from tests.readiness.factories import TEST_ACTOR

API = "/api/v1"
PLAN = {
    "name": "Link cut",
    "trigger": {"services": ["uplink"]},
    "runbook": [{"title": "Switch to backup link", "owner_role": "engineer"}],
}
TASK = {"title": "Test the UPS", "unit_id": "comms", "deadline": "2026-05-25T10:00:00+07:00"}


async def _headers(context: AppContext, username: str, role: Role) -> dict[str, str]:
    await make_user(context, username, role=role)
    return bearer(await make_token(context, username))


async def _incident(context: AppContext) -> int:
    async with context.sessions() as session:
        incident = await open_incident(
            session,
            new=NewIncident(
                title="Uplink down",
                severity=Severity.SEV1,
                category=Category.AVAILABILITY,
                classification=Classification.INTERNAL,
                services=("uplink",),
            ),
            actor=TEST_ACTOR,
            now=context.clock.now(),
        )
        await commit_and_publish(session, context.bus)
        return incident.id


WRITES = [
    ("PUT", "/readiness/plans/link-cut", PLAN),
    ("POST", "/readiness/tasks", TASK),
    ("POST", "/readiness/tasks/1/complete", None),
    ("POST", "/readiness/tasks/1/cancel", None),
    ("POST", "/readiness/inspections", {"checklist_id": "pre-event", "unit_id": "comms"}),
    ("POST", "/readiness/inspections/1/items/1", {"passed": True}),
    ("POST", "/readiness/inspections/1/finish", None),
]
READS = [
    "/readiness",
    "/readiness/plans",
    "/readiness/tasks",
    "/readiness/inspections",
]


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
async def test_writes_need_readiness_manage(
    context: AppContext, client: httpx.AsyncClient, method: str, path: str, body: object
) -> None:
    observer = await _headers(context, "olga", Role.OBSERVER)
    officer = await _headers(context, "dana", Role.DUTY_OFFICER)
    for headers in (observer, officer):
        response = await client.request(method, API + path, json=body, headers=headers)
        assert response.status_code == 403, response.text
    response = await client.request(method, API + path, json=body)
    assert response.status_code == 401


async def test_every_role_reads_and_strangers_do_not(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    observer = await _headers(context, "olga", Role.OBSERVER)
    for path in READS:
        assert (await client.get(API + path, headers=observer)).status_code == 200, path
        assert (await client.get(API + path)).status_code == 401, path


async def test_plans_tasks_evidence_and_inspections_through_the_api(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    commander = await _headers(context, "cora", Role.COMMANDER)
    observer = await _headers(context, "olga", Role.OBSERVER)

    edited = await client.put(API + "/readiness/plans/link-cut", json=PLAN, headers=commander)
    assert edited.status_code == 200, edited.text
    assert edited.json()["source"] == "edit"
    bad = await client.put(
        API + "/readiness/plans/link-cut",
        json={**PLAN, "runbook": [{"title": "x", "owner_role": "y", "expected_minutes": 0}]},
        headers=commander,
    )
    assert bad.status_code == 422
    assert "runbook.0.expected_minutes" in bad.text

    created = await client.post(API + "/readiness/tasks", json=TASK, headers=commander)
    assert created.status_code == 201, created.text
    task_id = created.json()["id"]
    unknown_unit = await client.post(
        API + "/readiness/tasks", json={**TASK, "unit_id": "nowhere"}, headers=commander
    )
    assert unknown_unit.status_code == 422
    assert "unit_id" in unknown_unit.text

    upload = await client.post(
        f"{API}/readiness/tasks/{task_id}/evidence",
        data={"note": "UPS held 20 minutes"},
        files={"file": ("ups.txt", b"log line\n", "text/plain")},
        headers=commander,
    )
    assert upload.status_code == 201, upload.text
    evidence_id = upload.json()["id"]
    listed = await client.get(f"{API}/readiness/tasks/{task_id}/evidence", headers=observer)
    assert [row["filename"] for row in listed.json()] == ["ups.txt"]
    downloaded = await client.get(f"{API}/readiness/evidence/{evidence_id}/file", headers=observer)
    assert downloaded.status_code == 200
    assert downloaded.content == b"log line\n"
    assert "attachment" in downloaded.headers["content-disposition"]
    denied = await client.post(
        f"{API}/readiness/tasks/{task_id}/evidence", data={"note": "x"}, headers=observer
    )
    assert denied.status_code == 403

    done = await client.post(f"{API}/readiness/tasks/{task_id}/complete", headers=commander)
    assert done.status_code == 200
    assert done.json()["status"] == "done"
    again = await client.post(f"{API}/readiness/tasks/{task_id}/cancel", headers=commander)
    assert again.status_code == 409
    figures = (await client.get(API + "/readiness", headers=observer)).json()
    assert figures["overall"] == {"unit_id": None, "total": 1, "done": 1, "percent": 100.0}
    assert figures["countdown_seconds"] == 10 * 24 * 3600

    started = await client.post(
        API + "/readiness/inspections",
        json={"checklist_id": "pre-event", "unit_id": "comms"},
        headers=commander,
    )
    assert started.status_code == 201, started.text
    inspection = started.json()
    first, second = (item["id"] for item in inspection["items"])
    base = f"{API}/readiness/inspections/{inspection['id']}"
    passed = await client.post(f"{base}/items/{first}", json={"passed": True}, headers=commander)
    assert passed.status_code == 200
    assert passed.json()["result"] == "pass"
    failed = await client.post(
        f"{base}/items/{second}",
        json={"passed": False, "evidence": "Battery weak"},
        headers=commander,
    )
    assert failed.status_code == 200
    assert failed.json()["task_id"] is not None
    finished = await client.post(f"{base}/finish", headers=commander)
    assert finished.status_code == 200
    assert finished.json()["finished_at"] is not None
    open_tasks = await client.get(API + "/readiness/tasks?status=open", headers=observer)
    assert [t["title"] for t in open_tasks.json()] == ["Fix: UPS tested"]
    missing = await client.post(f"{API}/readiness/tasks/999/complete", headers=commander)
    assert missing.status_code == 404


async def test_runbooks_are_read_by_readers_and_ticked_by_responders(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    incident_id = await _incident(context)
    assert await ReadinessWorker(context).attach(incident_id) == ["link-cut"]
    officer = await _headers(context, "dana", Role.DUTY_OFFICER)
    observer = await _headers(context, "olga", Role.OBSERVER)
    # Need-to-know: an observer sees public incidents only, so not this internal one.
    hidden = await client.get(f"{API}/incidents/{incident_id}/runbooks", headers=observer)
    assert hidden.status_code == 404
    runbooks = await client.get(f"{API}/incidents/{incident_id}/runbooks", headers=officer)
    assert runbooks.status_code == 200, runbooks.text
    step_id = runbooks.json()[0]["steps"][0]["id"]
    path = f"{API}/incidents/{incident_id}/runbooks/steps/{step_id}/done"
    assert (await client.post(path, json={}, headers=observer)).status_code == 403
    assert (await client.post(path, json={})).status_code == 401
    ticked = await client.post(path, json={"note": "done"}, headers=officer)
    assert ticked.status_code == 200, ticked.text
    assert ticked.json()["done_by"] == "dana"
    assert (await client.post(path, json={}, headers=officer)).status_code == 409
    missing = await client.get(f"{API}/incidents/999/runbooks", headers=officer)
    assert missing.status_code == 404
