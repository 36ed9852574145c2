"""Inspections, plans and the runbook checklist on the incident page, over HTTP."""

from __future__ import annotations

import httpx
import pytest

from garrison.audit.service import list_audit
from garrison.auth.permissions import Role
from garrison.config import load_config
from garrison.incidents.outbox import commit_and_publish
from garrison.incidents.service import NewIncident, open_incident
from garrison.incidents.timeline import list_timeline
from garrison.incidents.vocabulary import Category, Classification, Severity
from garrison.readiness.plans import attach_runbooks, checklists_of
from garrison.runtime.context import AppContext
from tests.console.factories import browser_login
from tests.console.readiness_factories import (  # noqa: F401 - fixtures used by name
    clock,
    config_path,
    redirected_id,
    settings,
)
from tests.readiness.factories import TEST_ACTOR
from tests.reports.scenario import SCENARIO

STEPS = ("Switch to backup link", "Call the carrier")


async def _start(client: httpx.AsyncClient, csrf: str) -> int:
    response = await client.post(
        "/readiness/inspections",
        data={"csrf_token": csrf, "checklist_id": "pre-event", "unit_id": "comms"},
    )
    return redirected_id(response, r"^/readiness/inspections/(\d+)\?done=inspection_started$")


async def test_an_inspection_is_started_recorded_and_a_failed_item_becomes_a_task(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    csrf = await browser_login(context, client, "chi", Role.COMMANDER)
    listing = await client.get("/readiness/inspections")
    assert listing.status_code == 200
    assert "Pre-event inspection" in listing.text  # the checklist to start
    refused = await client.post(
        "/readiness/inspections", data={"checklist_id": "pre-event", "unit_id": "comms"}
    )
    assert refused.status_code == 403
    inspection_id = await _start(client, csrf)
    page = await client.get(f"/readiness/inspections/{inspection_id}?done=inspection_started")
    assert "The inspection was started." in page.text
    unknown = await client.get(f"/readiness/inspections/{inspection_id}?done=<b>owned</b>")
    assert 'role="status"' not in unknown.text
    item_ids = [
        int(part.split('"')[0]) for part in page.text.split('<li class="directive" id="item-')[1:]
    ]
    assert len(item_ids) == 2
    url = f"/readiness/inspections/{inspection_id}"
    early = await client.post(f"{url}/finish", data={"csrf_token": csrf})
    assert early.status_code == 409
    assert "not checked yet: 1, 2" in early.text
    passed = await client.post(
        f"{url}/items/{item_ids[0]}",
        data={"csrf_token": csrf, "result": "pass", "evidence": "Switched at 09:10 and back"},
    )
    assert passed.status_code == 303
    failed = await client.post(
        f"{url}/items/{item_ids[1]}",
        data={"csrf_token": csrf, "result": "fail", "evidence": "UPS 2 held 3 minutes"},
    )
    assert failed.headers["location"] == f"{url}?done=item_failed#item-{item_ids[1]}"
    page = await client.get(url)
    assert "Switched at 09:10 and back" in page.text
    task_link = page.text.split('<a href="/readiness/tasks/')[1].split('"')[0]
    task_page = await client.get(f"/readiness/tasks/{task_link}")
    assert "Fix: UPS tested" in task_page.text
    assert "UPS 2 held 3 minutes" in task_page.text
    assert f'href="/readiness/inspections/{inspection_id}#item-{item_ids[1]}"' in task_page.text
    bad = await client.post(
        f"{url}/items/{item_ids[0]}", data={"csrf_token": csrf, "result": "maybe"}
    )
    assert bad.status_code == 422
    finished = await client.post(f"{url}/finish", data={"csrf_token": csrf})
    assert finished.headers["location"] == f"{url}?done=inspection_finished"
    page = await client.get(url)
    assert f'action="{url}/finish"' not in page.text
    assert f'action="{url}/items/' not in page.text
    late = await client.post(
        f"{url}/items/{item_ids[0]}", data={"csrf_token": csrf, "result": "fail"}
    )
    assert late.status_code == 409
    assert 'role="alert"' in late.text
    listing = await client.get("/readiness/inspections")
    assert "1 passed, 1 failed, 0 to check" in listing.text
    async with context.sessions() as session:
        audit = await list_audit(session, limit=50, target_type="inspection")
    assert {entry.action for entry in audit} == {
        "readiness.inspection_started",
        "readiness.inspection_item_recorded",
        "readiness.inspection_finished",
    }


@pytest.mark.parametrize("role", [Role.OBSERVER, Role.DUTY_OFFICER])
async def test_inspections_are_read_by_all_and_changed_by_managers_only(
    context: AppContext, client: httpx.AsyncClient, role: Role
) -> None:
    commander = await browser_login(context, client, "chi", Role.COMMANDER)
    inspection_id = await _start(client, commander)
    client.cookies.clear()
    csrf = await browser_login(context, client, "reader", role)
    url = f"/readiness/inspections/{inspection_id}"
    page = await client.get(url)
    assert page.status_code == 200
    assert "Backup link switched over and back" in page.text
    assert "<form" not in page.text.split("<main")[1].split("</main>")[0]
    start = {"csrf_token": csrf, "checklist_id": "pre-event", "unit_id": "comms"}
    assert (await client.post("/readiness/inspections", data=start)).status_code == 403
    assert (await client.post(f"{url}/finish", data={"csrf_token": csrf})).status_code == 403
    item = {"csrf_token": csrf, "result": "pass"}
    assert (await client.post(f"{url}/items/1", data=item)).status_code == 403


async def test_plans_show_their_source_and_a_console_edit_wins_until_the_file_changes(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    csrf = await browser_login(context, client, "chi", Role.COMMANDER)
    page = await client.get("/readiness/plans")
    assert page.status_code == 200
    assert "From the configuration file" in page.text
    for text in (*STEPS, "network engineer", "Uplink", "Communications"):
        assert text in page.text
    form = await client.get("/readiness/plans/link-cut/edit")
    assert form.status_code == 200
    assert "This plan comes from the configuration file." in form.text
    assert 'value="Switch to backup link"' in form.text
    edit = {
        "csrf_token": csrf,
        "name": "Link cut (revised)",
        "description": "Both carriers",
        "severity": "sev1",
        "unit": "comms",
        "trigger_services": ["uplink"],
        "trigger_sources": "probes, detection",
        "trigger_categories": ["availability"],
        "priorities": "uplink, portal",
        # The new step is numbered first; the carrier call is removed by clearing it.
        "step_position": ["2", "3", "1"],
        "step_title": ["Switch to backup link", "", "Tell the commander"],
        "step_owner_role": ["network engineer", "", "duty officer"],
        "step_minutes": ["5", "10", "2"],
    }
    refused = await client.post("/readiness/plans/link-cut", data={**edit, "csrf_token": ""})
    assert refused.status_code == 403
    saved = await client.post("/readiness/plans/link-cut", data=edit)
    assert saved.status_code == 303
    assert saved.headers["location"] == "/readiness/plans?done=plan_saved#plan-link-cut"
    page = await client.get(saved.headers["location"])
    assert "The plan was saved." in page.text
    assert "Edited in the console" in page.text
    assert "by chi" in page.text
    runbook = page.text.split('<ol class="runbook">')[1].split("</ol>")[0]
    assert runbook.index("Tell the commander") < runbook.index("Switch to backup link")
    assert "Call the carrier" not in runbook
    assert "Portal" in page.text  # a priority now
    async with context.sessions() as session:
        (entry,) = await list_audit(session, limit=5, action="readiness.plan_edited")
    assert entry.actor_name == "chi"
    assert entry.after is not None
    assert entry.after["name"] == "Link cut (revised)"

    # The file changes the plan: it wins again, the console edit is shown as outdated.
    assert context.settings.config_file is not None
    context.settings.config_file.write_text(
        SCENARIO.replace("name: Link cut", "name: Link cut v2"), "utf-8"
    )
    page = await client.get("/readiness/plans")
    assert "Link cut v2" in page.text
    assert "Console edit outdated" in page.text
    assert "Link cut (revised)" not in page.text


async def test_bad_plans_are_shown_on_the_form_and_new_plans_live_in_the_database(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    csrf = await browser_login(context, client, "chi", Role.COMMANDER)
    bad = await client.post(
        "/readiness/plans/link-cut",
        data={"csrf_token": csrf, "name": "Link cut", "severity": "sev2", "priorities": "nothing"},
    )
    assert bad.status_code == 422
    assert "priorities.0: no service has the id nothing" in bad.text
    assert 'value="nothing"' in bad.text  # what was typed is kept
    new = {
        "csrf_token": csrf,
        "plan_id": "power-cut",
        "name": "Power cut",
        "severity": "sev2",
        "trigger_categories": ["availability"],
        "step_position": ["1"],
        "step_title": ["Start the generator"],
        "step_owner_role": ["technician"],
        "step_minutes": [""],
    }
    assert (await client.get("/readiness/plans/new")).status_code == 200
    made = await client.post("/readiness/plans", data=new)
    assert made.status_code == 303
    page = await client.get("/readiness/plans")
    assert "Made in the console" in page.text
    assert "Start the generator" in page.text
    again = await client.post("/readiness/plans", data=new)
    assert again.status_code == 409
    bad_id = await client.post("/readiness/plans", data={**new, "plan_id": "Power Cut"})
    assert bad_id.status_code == 422
    assert (await client.get("/readiness/plans/nothing/edit")).status_code == 404


async def test_readers_see_plans_but_may_not_edit_them(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    csrf = await browser_login(context, client, "dana", Role.DUTY_OFFICER)
    page = await client.get("/readiness/plans")
    assert page.status_code == 200
    assert "/edit" not in page.text
    assert (await client.get("/readiness/plans/link-cut/edit")).status_code == 403
    assert (await client.get("/readiness/plans/new")).status_code == 403
    data = {"csrf_token": csrf, "name": "Mine"}
    assert (await client.post("/readiness/plans/link-cut", data=data)).status_code == 403
    assert (await client.post("/readiness/plans", data={**data, "plan_id": "x"})).status_code == 403


async def _incident_with_runbook(
    context: AppContext, classification: Classification = Classification.INTERNAL
) -> tuple[int, list[int]]:
    assert context.settings.config_file is not None
    config = load_config(context.settings.config_file).config
    async with context.sessions() as session:
        incident = await open_incident(
            session,
            new=NewIncident(
                title="Uplink down",
                severity=Severity.SEV1,
                category=Category.AVAILABILITY,
                classification=classification,
                services=("uplink",),
            ),
            actor=TEST_ACTOR,
            now=context.clock.now(),
        )
        await attach_runbooks(
            session, config=config, incident=incident, sources=["probes"], now=context.clock.now()
        )
        await commit_and_publish(session, context.bus)
        ((_checklist, steps),) = await checklists_of(session, incident_id=incident.id)
        return incident.id, [step.id for step in steps]


async def test_runbook_steps_are_ticked_on_the_incident_page_and_go_on_the_timeline(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    incident_id, step_ids = await _incident_with_runbook(context)
    other_id, _other_steps = await _incident_with_runbook(context)
    csrf = await browser_login(context, client, "dana", Role.DUTY_OFFICER)
    page = await client.get(f"/incidents/{incident_id}")
    assert 'id="runbooks-heading"' in page.text
    assert "0 of 2 steps done" in page.text
    url = f"/incidents/{incident_id}/runbooks/steps/{step_ids[0]}/done"
    assert f'action="{url}"' in page.text
    refused = await client.post(url, data={"note": "done"})
    assert refused.status_code == 403
    ticked = await client.post(url, data={"csrf_token": csrf, "note": "on the backup since 10:02"})
    assert ticked.status_code == 303
    assert ticked.headers["location"] == f"/incidents/{incident_id}#runbook-step-{step_ids[0]}"
    page = await client.get(f"/incidents/{incident_id}")
    assert "1 of 2 steps done" in page.text
    assert "done by dana" in page.text
    assert "on the backup since 10:02" in page.text
    assert f'action="{url}"' not in page.text
    async with context.sessions() as session:
        timeline = await list_timeline(session, incident_id=incident_id)
        audit = await list_audit(session, limit=10, action="readiness.runbook_step_done")
    assert any(entry.text == f"Runbook step done: {STEPS[0]}" for entry in timeline)
    assert [entry.actor_name for entry in audit] == ["dana"]
    again = await client.post(url, data={"csrf_token": csrf})
    assert again.status_code == 409
    assert 'role="alert"' in again.text
    # A step of another incident is not this incident's.
    foreign = f"/incidents/{other_id}/runbooks/steps/{step_ids[1]}/done"
    assert (await client.post(foreign, data={"csrf_token": csrf})).status_code == 404


async def test_runbook_ticks_need_respond_and_need_to_know(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    incident_id, step_ids = await _incident_with_runbook(context, Classification.PUBLIC)
    hidden_id, hidden_steps = await _incident_with_runbook(context, Classification.CONFIDENTIAL)
    csrf = await browser_login(context, client, "olga", Role.OBSERVER)
    page = await client.get(f"/incidents/{incident_id}")
    assert STEPS[0] in page.text  # observers read the runbook
    assert "/runbooks/steps/" not in page.text
    url = f"/incidents/{incident_id}/runbooks/steps/{step_ids[0]}/done"
    assert (await client.post(url, data={"csrf_token": csrf})).status_code == 403
    client.cookies.clear()
    csrf = await browser_login(context, client, "dana", Role.DUTY_OFFICER)
    hidden = f"/incidents/{hidden_id}/runbooks/steps/{hidden_steps[0]}/done"
    # A responder not listed on a confidential incident gets the 404 of a missing one.
    assert (await client.get(f"/incidents/{hidden_id}")).status_code == 404
    assert (await client.post(hidden, data={"csrf_token": csrf})).status_code == 404
    async with context.sessions() as session:
        ((_checklist, steps),) = await checklists_of(session, incident_id=hidden_id)
    assert [step.done_at for step in steps] == [None, None]
