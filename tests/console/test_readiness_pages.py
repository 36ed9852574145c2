"""The readiness page over HTTP: countdown, readiness per unit and overall, the task list
with its filters, creating, completing and cancelling tasks, and evidence (notes, files)."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from garrison.audit.service import list_audit
from garrison.auth.permissions import Role
from garrison.clock import ManualClock
from garrison.readiness.tasks import MAX_EVIDENCE_BYTES
from garrison.runtime.context import AppContext
from tests.console.factories import browser_login
from tests.console.readiness_factories import (  # noqa: F401 - fixtures used by name
    clock,
    config_path,
    redirected_id,
    settings,
)


async def _create(
    client: httpx.AsyncClient,
    csrf: str,
    title: str,
    *,
    unit: str = "comms",
    owner: str = "",
    deadline: str = "2026-05-25T10:00",
) -> int:
    response = await client.post(
        "/readiness/tasks",
        data={
            "csrf_token": csrf,
            "title": title,
            "unit_id": unit,
            "owner_person_id": owner,
            "deadline": deadline,
            "description": "",
        },
    )
    return redirected_id(response, r"#task-(\d+)$")


async def test_countdown_figures_and_the_task_life_cycle(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    csrf = await browser_login(context, client, "chi", Role.COMMANDER)
    page = await client.get("/readiness")
    assert page.status_code == 200
    assert 'href="/readiness" aria-current="page"' in page.text  # the console's nav
    assert "10 d 0 h 0 min until the event starts" in page.text
    # No task yet: every unit counts as ready.
    assert "100.0 %" in page.text
    refused = await client.post(
        "/readiness/tasks",
        data={"title": "Test the UPS", "unit_id": "comms", "deadline": "2026-05-25T10:00"},
    )
    assert refused.status_code == 403
    ups = await _create(client, csrf, "Test the UPS", owner="echo")
    await _create(client, csrf, "Scan the portal", unit="cyber")
    page = await client.get("/readiness?done=task_created")
    assert "The task was created." in page.text
    assert 'role="status"' in page.text
    assert "Test the UPS" in page.text
    assert "Scan the portal" in page.text
    # The deadline was read in the event's time zone (+07:00) and is shown in it, UTC on hover.
    assert 'datetime="2026-05-25T03:00:00+00:00"' in page.text
    assert "2026-05-25 10:00</time>" in page.text
    assert 'title="2026-05-25 03:00:00 UTC"' in page.text
    assert "0.0 %" in page.text

    done = await client.post(f"/readiness/tasks/{ups}/complete", data={"csrf_token": csrf})
    assert done.status_code == 303
    assert done.headers["location"] == f"/readiness/tasks/{ups}?done=task_done"
    page = await client.get("/readiness")
    assert 'id="readiness-overall"' in page.text
    overall = page.text.split('id="readiness-overall"')[1].split("</p>")[0]
    assert "50.0 %" in overall
    assert "1 of 2 tasks done" in overall
    units = page.text.split('id="readiness-units"')[1].split("</table>")[0]
    assert "Communications" in units
    assert "100.0 %" in units
    assert "0.0 %" in units
    again = await client.post(f"/readiness/tasks/{ups}/cancel", data={"csrf_token": csrf})
    assert again.status_code == 409
    assert 'role="alert"' in again.text
    async with context.sessions() as session:
        actions = [
            e.action for e in await list_audit(session, limit=50, target_type="readiness_task")
        ]
    assert actions.count("readiness.task_created") == 2
    assert "readiness.task_done" in actions


async def test_filters_by_unit_status_owner_and_overdue(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    manual = context.clock
    assert isinstance(manual, ManualClock)
    csrf = await browser_login(context, client, "chi", Role.COMMANDER)
    late = await _create(
        client, csrf, "Order spare fibre", owner="echo", deadline="2026-05-22T00:30"
    )
    await _create(client, csrf, "Harden the portal", unit="cyber", deadline="2026-05-30T08:00")
    cancelled = await _create(client, csrf, "Paint the NOC", deadline="2026-05-30T08:00")
    form = {"csrf_token": csrf, "back": "list"}
    response = await client.post(f"/readiness/tasks/{cancelled}/cancel", data=form)
    assert response.headers["location"] == f"/readiness?done=task_cancelled#task-{cancelled}"
    manual.advance(timedelta(hours=1).total_seconds())  # the first deadline has passed

    async def shown(**query: str) -> set[str]:
        text = (await client.get("/readiness", params=query)).text
        return {t for t in ("Order spare fibre", "Harden the portal", "Paint the NOC") if t in text}

    assert await shown() == {"Order spare fibre", "Harden the portal", "Paint the NOC"}
    assert await shown(unit="cyber") == {"Harden the portal"}
    assert await shown(status="cancelled") == {"Paint the NOC"}
    assert await shown(owner="echo") == {"Order spare fibre"}
    assert await shown(overdue="1") == {"Order spare fibre"}
    assert await shown(unit="comms", status="open") == {"Order spare fibre"}
    page = (await client.get("/readiness")).text
    assert f'<tr id="task-{late}" class="overdue">' in page
    # Cancelled tasks do not count: 0 done of the 2 that do.
    assert "0 of 2 tasks done" in page


async def test_evidence_notes_and_files_within_the_limit(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    csrf = await browser_login(context, client, "chi", Role.COMMANDER)
    task_id = await _create(client, csrf, "Test the UPS")
    url = f"/readiness/tasks/{task_id}/evidence"
    report = b"UPS held 42 minutes on battery\n"
    refused = await client.post(url, data={"note": "x"}, files={"file": ("r.txt", report)})
    assert refused.status_code == 403
    added = await client.post(
        url,
        data={"csrf_token": csrf, "note": "Load test done"},
        files={"file": ("../ups report.txt", report, "text/html")},
    )
    assert added.status_code == 303
    assert added.headers["location"] == f"/readiness/tasks/{task_id}?done=evidence_added"
    only_note = await client.post(url, data={"csrf_token": csrf, "note": "Photo in the binder"})
    assert only_note.status_code == 303
    page = await client.get(f"/readiness/tasks/{task_id}")
    assert "Load test done" in page.text
    assert "Photo in the binder" in page.text
    assert "ups report.txt" in page.text
    link = page.text.split('<a href="/readiness/evidence/')[1].split('"')[0]
    download = await client.get(f"/readiness/evidence/{link}")
    assert download.status_code == 200
    assert download.content == report
    assert download.headers["content-type"] == "application/octet-stream"
    assert download.headers["content-disposition"].startswith("attachment")
    assert (await client.get("/readiness/evidence/999")).status_code == 404

    too_big = await client.post(
        url,
        data={"csrf_token": csrf},
        files={"file": ("big.bin", b"x" * (MAX_EVIDENCE_BYTES + 1), "application/octet-stream")},
    )
    assert too_big.status_code == 422
    assert 'role="alert"' in too_big.text
    assert str(MAX_EVIDENCE_BYTES) in too_big.text
    nothing = await client.post(
        url,
        data={"csrf_token": csrf, "note": " "},
        files={"file": ("", b"", "application/octet-stream")},
    )
    assert nothing.status_code == 422
    assert "give a note or a file" in nothing.text
    page = await client.get(f"/readiness/tasks/{task_id}")
    assert page.text.count('class="handover" id="evidence-') == 2


@pytest.mark.parametrize("role", [Role.OBSERVER, Role.DUTY_OFFICER, Role.LEADER])
async def test_readers_see_the_page_but_may_not_change_it(
    context: AppContext, client: httpx.AsyncClient, role: Role
) -> None:
    commander = await browser_login(context, client, "chi", Role.COMMANDER)
    task_id = await _create(client, commander, "Test the UPS")
    client.cookies.clear()
    csrf = await browser_login(context, client, "reader", role)
    page = await client.get("/readiness")
    assert page.status_code == 200
    assert 'href="/readiness"' in page.text
    assert "Test the UPS" in page.text
    assert 'action="/readiness/tasks"' not in page.text
    assert "/complete" not in page.text
    task_page = await client.get(f"/readiness/tasks/{task_id}")
    assert task_page.status_code == 200
    assert 'enctype="multipart/form-data"' not in task_page.text
    form = {"csrf_token": csrf}
    create = {**form, "title": "x", "unit_id": "comms", "deadline": "2026-05-25T10:00"}
    for path, data in (
        ("/readiness/tasks", create),
        (f"/readiness/tasks/{task_id}/complete", form),
        (f"/readiness/tasks/{task_id}/cancel", form),
        (f"/readiness/tasks/{task_id}/evidence", {**form, "note": "x"}),
    ):
        assert (await client.post(path, data=data)).status_code == 403, path


async def test_anonymous_browsers_are_sent_to_log_in(client: httpx.AsyncClient) -> None:
    for path in ("/readiness", "/readiness/tasks/1", "/readiness/inspections", "/readiness/plans"):
        response = await client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login?next="), path


async def test_bad_task_input_is_shown_on_the_page(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    csrf = await browser_login(context, client, "chi", Role.COMMANDER)
    form = {"csrf_token": csrf, "title": "Test the UPS", "unit_id": "comms"}
    bad_date = await client.post("/readiness/tasks", data={**form, "deadline": "tomorrow"})
    assert bad_date.status_code == 422
    assert "deadline: not a date and time" in bad_date.text
    bad_unit = await client.post(
        "/readiness/tasks", data={**form, "unit_id": "nowhere", "deadline": "2026-05-25T10:00"}
    )
    assert bad_unit.status_code == 422
    assert "no unit has the id nowhere" in bad_unit.text
    assert (await client.get("/readiness/tasks/999")).status_code == 404
