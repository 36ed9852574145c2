"""Service pages: history bands and latency as SVG, availability, checks, baseline approval."""

from __future__ import annotations

from datetime import timedelta

import httpx

from garrison.auth.permissions import Role
from garrison.probes import service as probes
from garrison.runtime.context import AppContext
from tests.console.factories import browser_login
from tests.console.service_factories import DEFACED_TEXT, make_portal


async def _portal(context: AppContext) -> None:
    await make_portal(context, event_start=context.clock.now() - timedelta(days=2, hours=3))


async def test_the_services_list_links_every_service_with_its_availability(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    await _portal(context)
    await browser_login(context, client, "ngoc", Role.OBSERVER)
    page = await client.get("/services")
    assert page.status_code == 200
    assert 'href="/services/portal"' in page.text
    assert "Event portal" in page.text
    assert "state-down" in page.text
    # Up for the whole event window but the last 30 minutes.
    assert " %" in page.text
    assert 'href="/services"' in page.text  # in the navigation


async def test_the_service_page_draws_history_latency_availability_and_checks(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    await _portal(context)
    await browser_login(context, client, "ngoc", Role.OBSERVER)
    page = await client.get("/services/portal", params={"hours": 6})
    assert page.status_code == 200
    text = page.text
    assert text.count('class="band band-up"') == 1
    assert text.count('class="band band-down"') == 1
    assert '<polyline class="latency-line"' in text
    assert "HTTP 503 from 192.0.2.10" in text
    assert 'id="check-portal-content"' in text
    # One row per event day so far (event started 2 days 3 hours ago, in the event's zone).
    assert text.count("<td>2") >= 3
    # The content diff: the defaced line is new, the programme line is gone.
    assert '<span class="diff-added">+ HACKED BY NOBODY' in text
    assert '<span class="diff-removed">- Programme' in text
    # An observer may not approve a baseline: no button.
    assert "/baseline" not in text
    assert "<script>" not in text


async def test_a_missing_service_is_404_and_the_range_is_bounded(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    await _portal(context)
    await browser_login(context, client, "ngoc", Role.OBSERVER)
    assert (await client.get("/services/nothing")).status_code == 404
    assert (await client.get("/services/portal", params={"hours": 1000})).status_code == 422


async def test_approving_a_baseline_needs_the_permission_and_the_csrf_token(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    await _portal(context)
    csrf = await browser_login(context, client, "duc", Role.DUTY_OFFICER)
    action = "/services/portal/checks/portal-content/baseline"
    assert (await client.post(action, data={"csrf_token": csrf})).status_code == 403

    client.cookies.clear()
    csrf = await browser_login(context, client, "minh", Role.ENGINEER)
    page = await client.get("/services/portal")
    assert f'action="{action}"' in page.text
    assert (await client.post(action, data={})).status_code == 403
    wrong = "/services/portal/checks/nothing/baseline"
    assert (await client.post(wrong, data={"csrf_token": csrf})).status_code == 404
    done = await client.post(action, data={"csrf_token": csrf})
    assert done.status_code == 303
    assert done.headers["location"] == "/services/portal#check-portal-content"
    after = await client.get("/services/portal")
    assert "The page text matches the baseline." in after.text
    async with context.sessions() as session:
        baseline = await probes.active_baseline(session, check_id="portal-content")
    assert baseline is not None
    assert baseline.text == DEFACED_TEXT
    assert baseline.approved_by == "minh"


async def test_wallboard_tiles_link_to_the_service_page(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    await _portal(context)
    await browser_login(context, client, "ngoc", Role.OBSERVER)
    fragment = await client.get("/wallboard/fragment/services")
    assert 'href="/services/portal"' in fragment.text
