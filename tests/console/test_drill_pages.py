"""The drills pages over HTTP: plans, start, runs, cancel and results, with the backend's rules
(organisers while a drill runs, report readers once it is over), CSRF and need-to-know."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from garrison.audit.models import AuditEntry
from garrison.auth.permissions import Role
from garrison.drills.models import DrillRun
from garrison.drills.worker import DrillWorker
from garrison.incidents.models import Incident
from garrison.incidents.vocabulary import Classification
from garrison.incidents.worker import IncidentWorker
from garrison.runtime.context import AppContext
from garrison.settings import Settings
from tests.auth.factories import bearer, log_in, make_token, make_user
from tests.console.factories import browser_login
from tests.drills.conftest import PREPARATION
from tests.readiness.factories import WatchedClock, running
from tests.reports.scenario import write_scenario

STARTED = re.compile(r"^/drills/(\d+)\?done=started$")


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    config = write_scenario(tmp_path / "event.yaml")
    return Settings(data_dir=tmp_path / "data", database_url=database_url, config_file=config)


@pytest.fixture
def clock() -> WatchedClock:
    return WatchedClock(PREPARATION)


async def _start(client: httpx.AsyncClient, csrf: str) -> int:
    started = await client.post("/drills/start", data={"csrf_token": csrf, "plan_id": "rehearsal"})
    assert started.status_code == 303, started.text
    found = STARTED.match(started.headers["location"])
    assert found is not None, started.headers["location"]
    return int(found.group(1))


async def _runs(context: AppContext) -> list[DrillRun]:
    async with context.sessions() as session:
        return list((await session.scalars(select(DrillRun).order_by(DrillRun.id))).all())


async def test_the_drills_pages_are_for_organisers_only(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    assert (await client.get("/drills")).status_code == 303  # to the login page
    for username, role in (("dana", Role.DUTY_OFFICER), ("olga", Role.OBSERVER)):
        csrf = await browser_login(context, client, username, role)
        assert (await client.get("/drills")).status_code == 403
        start = await client.post(
            "/drills/start", data={"csrf_token": csrf, "plan_id": "rehearsal"}
        )
        assert start.status_code == 403
        assert (await client.post("/drills/1/cancel", data={"csrf_token": csrf})).status_code == 403
        nav = (await client.get("/incidents")).text
        assert 'href="/drills"' not in nav
        # Duty officers read reports; observers do not.
        assert ('href="/reports"' in nav) == (role == Role.DUTY_OFFICER)
    assert await _runs(context) == []


async def test_a_commander_starts_and_cancels_a_drill_and_participants_stay_unaware(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    csrf = await browser_login(context, client, "cora", Role.COMMANDER)
    page = await client.get("/drills")
    assert page.status_code == 200
    assert 'href="/drills"' in page.text
    assert 'aria-current="page"' in page.text
    assert "Rehearsal" in page.text
    assert "Unannounced to participants" in page.text
    assert 'name="plan_id" value="rehearsal"' in page.text
    assert f'name="csrf_token" value="{csrf}"' in page.text

    refused = await client.post("/drills/start", data={"plan_id": "rehearsal"})
    assert refused.status_code == 403
    assert await _runs(context) == []
    unknown = await client.post("/drills/start", data={"csrf_token": csrf, "plan_id": "nope"})
    assert unknown.status_code == 422
    assert 'role="alert"' in unknown.text
    assert "plan_id" in unknown.text
    assert await _runs(context) == []

    run_id = await _start(client, csrf)
    results = await client.get(f"/drills/{run_id}?done=started")
    assert results.status_code == 200
    assert "The drill has started." in results.text
    assert "not injected yet" in results.text
    # Nothing has failed yet while the drill runs: what is not reached yet is pending.
    assert "Pending" in results.text
    assert "Fail" not in results.text
    assert f'action="/drills/{run_id}/cancel"' in results.text
    listing = await client.get("/drills")
    assert f'href="/drills/{run_id}"' in listing.text
    async with context.sessions() as session:
        actions = (await session.scalars(select(AuditEntry.action))).all()
    assert "drill.started" in actions

    # A participant neither sees the running drill nor its results.
    await browser_login(context, client, "dana", Role.DUTY_OFFICER)
    assert (await client.get(f"/drills/{run_id}")).status_code == 403
    assert (await client.get(f"/drills/{run_id}/results.json")).status_code == 403
    assert f"/drills/{run_id}" not in (await client.get("/reports")).text

    csrf = await browser_login(context, client, "cid", Role.COMMANDER)
    assert (await client.post(f"/drills/{run_id}/cancel", data={})).status_code == 403
    cancelled = await client.post(f"/drills/{run_id}/cancel", data={"csrf_token": csrf})
    assert cancelled.status_code == 303
    assert cancelled.headers["location"] == f"/drills/{run_id}?done=cancelled"
    assert [run.status for run in await _runs(context)] == ["cancelled"]
    again = await client.post(f"/drills/{run_id}/cancel", data={"csrf_token": csrf})
    assert again.status_code == 409
    assert 'role="alert"' in again.text
    assert (await client.post("/drills/99/cancel", data={"csrf_token": csrf})).status_code == 404

    # Once over, report readers see the results (as the API allows), without the actions.
    await log_in(client, "dana")
    over = await client.get(f"/drills/{run_id}")
    assert over.status_code == 200
    assert "/cancel" not in over.text
    assert f'href="/drills/{run_id}"' in (await client.get("/reports")).text
    await browser_login(context, client, "olga", Role.OBSERVER)
    assert (await client.get(f"/drills/{run_id}")).status_code == 403


async def test_the_results_page_matches_the_api_and_keeps_need_to_know(
    context: AppContext, client: httpx.AsyncClient, clock: WatchedClock
) -> None:
    csrf = await browser_login(context, client, "cora", Role.COMMANDER)
    run_id = await _start(client, csrf)
    clock.advance(30 * 60)
    incidents = IncidentWorker(context)
    async with running(incidents):
        drills = DrillWorker(context)
        assert len(await drills.run_once()) == 2
        await asyncio.wait_for(incidents.wait_processed(1), timeout=10)
        await drills.run_once()
    async with context.sessions() as session:
        ids = list((await session.scalars(select(Incident.id).order_by(Incident.id))).all())
    assert len(ids) == 2
    # The first inject's incident acknowledged two minutes after it opened: within its target.
    clock.advance(2 * 60)
    acknowledged = await client.post(f"/incidents/{ids[0]}/acknowledge", data={"csrf_token": csrf})
    assert acknowledged.status_code == 303

    page = await client.get(f"/drills/{run_id}")
    assert page.status_code == 200
    for incident_id in ids:
        assert f'href="/incidents/{incident_id}"' in page.text
    assert "Uplink down (drill)" in page.text
    assert "Defacement of the portal (drill)" in page.text
    assert "Pass" in page.text
    assert "Fail" in page.text
    assert 'title="' in page.text
    assert " UTC" in page.text

    download = await client.get(f"/drills/{run_id}/results.json")
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/json"
    assert download.headers["content-disposition"] == (
        f'attachment; filename="drill-{run_id}-results.json"'
    )
    mine = download.json()
    await make_user(context, "api-cora", role=Role.COMMANDER)
    token = await make_token(context, "api-cora")
    api = (await client.get(f"/api/v1/drills/{run_id}/results", headers=bearer(token))).json()
    assert mine == api
    assert mine["injects"][0]["met"]["acknowledge"] is True
    assert f"{mine['overall']:g} / 100" in page.text

    # A confidential drill incident stays hidden from a reader without the need to know.
    async with context.sessions() as session:
        incident = await session.get(Incident, ids[0])
        assert incident is not None
        incident.classification = Classification.CONFIDENTIAL.value
        await session.commit()
    await browser_login(context, client, "dana", Role.DUTY_OFFICER)
    hidden = await client.get(f"/drills/{run_id}")
    assert hidden.status_code == 200
    assert f'href="/incidents/{ids[0]}"' not in hidden.text
    assert f'href="/incidents/{ids[1]}"' in hidden.text
    hidden_json = (await client.get(f"/drills/{run_id}/results.json")).json()
    assert [i["incident_id"] for i in hidden_json["drill"]["injects"]] == [None, ids[1]]
    assert hidden_json["overall"] == mine["overall"]
    await browser_login(context, client, "root", Role.ADMIN)
    assert f'href="/incidents/{ids[0]}"' in (await client.get(f"/drills/{run_id}")).text
