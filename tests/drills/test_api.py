"""Drills over HTTP: organisers (drill:manage) start, list and cancel; results are for the
organisers while the drill runs (an unannounced drill stays unknown) and for report readers
once it is over."""

from __future__ import annotations

import asyncio

import httpx

from garrison.auth.permissions import Permission, Role
from garrison.drills.worker import DrillWorker
from garrison.incidents.worker import IncidentWorker
from garrison.runtime.context import AppContext
from tests.auth.factories import bearer, make_token, make_user
from tests.readiness.factories import WatchedClock, running

API = "/api/v1"


async def _headers(
    context: AppContext, username: str, role: Role, scopes: frozenset[Permission] | None = None
) -> dict[str, str]:
    await make_user(context, username, role=role)
    return bearer(await make_token(context, username, scopes=scopes))


async def test_drill_routes_and_their_permissions(
    context: AppContext, client: httpx.AsyncClient, clock: WatchedClock
) -> None:
    commander = await _headers(context, "cora", Role.COMMANDER)
    officer = await _headers(context, "dana", Role.DUTY_OFFICER)
    observer = await _headers(context, "olga", Role.OBSERVER)
    nobody: dict[str, str] = {}
    for headers, status in ((nobody, 401), (officer, 403), (observer, 403)):
        assert (
            await client.post(API + "/drills", json={"plan_id": "rehearsal"}, headers=headers)
        ).status_code == status
        assert (await client.get(API + "/drills", headers=headers)).status_code == status
        assert (await client.post(API + "/drills/1/cancel", headers=headers)).status_code == status

    unknown = await client.post(API + "/drills", json={"plan_id": "nope"}, headers=commander)
    assert unknown.status_code == 422
    assert "plan_id" in unknown.text
    started = await client.post(API + "/drills", json={"plan_id": "rehearsal"}, headers=commander)
    assert started.status_code == 201, started.text
    run = started.json()
    assert (run["status"], run["announced"], run["notify_leadership"]) == ("running", False, False)
    assert [i["injected_at"] for i in run["injects"]] == [None, None]
    results = f"{API}/drills/{run['id']}/results"
    # While it runs, only organisers see it: not a duty officer, nor a commander's token
    # scoped down to report:read.
    narrow = await _headers(context, "cid", Role.COMMANDER, frozenset({Permission.REPORT_READ}))
    assert (await client.get(results, headers=officer)).status_code == 403
    assert (await client.get(results, headers=narrow)).status_code == 403
    assert (await client.get(results, headers=observer)).status_code == 403  # no report:read
    assert (await client.get(results, headers=commander)).status_code == 200

    clock.advance(30 * 60)
    incidents = IncidentWorker(context)
    async with running(incidents):
        drills = DrillWorker(context)
        assert len(await drills.run_once()) == 2
        # The detection inject's incident comes from the incident worker (over the bus);
        # the drill worker's next round links it.
        await asyncio.wait_for(incidents.wait_processed(1), timeout=10)
        assert await drills.run_once() == []
    listed = (await client.get(API + "/drills", headers=commander)).json()
    assert listed[0]["status"] == "finished"
    assert all(i["incident_id"] is not None for i in listed[0]["injects"])
    after = await client.get(results, headers=officer)
    assert after.status_code == 200, after.text
    body = after.json()
    assert [i["score"] for i in body["injects"]] == [0.0, 0.0]
    assert body["overall"] == 0.0
    assert body["per_post"] == {"-": 0.0}
    assert (
        await client.post(f"{API}/drills/{run['id']}/cancel", headers=commander)
    ).status_code == 409
    assert (await client.get(f"{API}/drills/99/results", headers=commander)).status_code == 404


async def test_a_cancelled_drill_injects_nothing_more(
    context: AppContext, client: httpx.AsyncClient, clock: WatchedClock
) -> None:
    commander = await _headers(context, "cora", Role.COMMANDER)
    run = (
        await client.post(API + "/drills", json={"plan_id": "rehearsal"}, headers=commander)
    ).json()
    clock.advance(15 * 60)
    assert len(await DrillWorker(context).run_once()) == 1
    cancelled = await client.post(f"{API}/drills/{run['id']}/cancel", headers=commander)
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    clock.advance(15 * 60)
    assert await DrillWorker(context).run_once() == []
