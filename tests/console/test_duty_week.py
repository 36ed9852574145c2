"""The duty week page: 7 days by posts, overrides and swaps, forms for DUTY_MANAGE."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from garrison.auth.permissions import Role
from garrison.duty.oncall import OnDuty, assignments
from garrison.duty.service import load_plan
from garrison.runtime.context import AppContext
from garrison.settings import Settings
from tests.console.factories import browser_login
from tests.duty.factories import load_written, write_config

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return write_config(tmp_path / "event.yaml")


@pytest.fixture
def settings(tmp_path: Path, database_url: str, config_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=database_url, config_file=config_path)


def _local(stretch: OnDuty) -> str:
    return stretch.shift_start.astimezone(HCM).strftime("%Y-%m-%dT%H:%M")


async def _noc_shifts(context: AppContext, config_path: Path) -> list[OnDuty]:
    config = load_written(config_path)
    async with context.sessions() as session:
        plan = await load_plan(session, config=config)
    now = context.clock.now()
    return assignments(plan, "noc", now, now + timedelta(days=1))


async def test_the_week_shows_seven_days_of_every_post(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    await browser_login(context, client, "alpha", Role.DUTY_OFFICER)
    page = await client.get("/duty/week")
    assert page.status_code == 200, page.text
    assert page.text.count('<th scope="col"><time datetime=') == 7
    assert '<time datetime="2026-06-01">' in page.text
    assert '<time datetime="2026-06-07">' in page.text
    for name in ("Shift command", "Network operations centre", "Alpha", "Bravo", "Delta"):
        assert name in page.text, name
    # A duty officer reads but does not manage.
    assert 'action="/duty/overrides"' not in page.text
    later = await client.get("/duty/week", params={"start": "2026-06-08"})
    assert '<time datetime="2026-06-14">' in later.text
    bad = await client.get("/duty/week", params={"start": "june"})
    assert bad.status_code == 422
    assert "start:" in bad.text


async def test_a_commander_adds_and_cancels_an_override_with_csrf(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    csrf = await browser_login(context, client, "delta", Role.COMMANDER)
    form = {
        "post_id": "noc",
        "person_id": "standin",
        "start": "2026-06-02T09:00",
        "end": "2026-06-02T13:00",
        "reason": "Alpha at the dentist",
    }
    assert (await client.post("/duty/overrides", data=form)).status_code == 403
    added = await client.post("/duty/overrides", data={**form, "csrf_token": csrf})
    assert added.status_code == 303, added.text
    page = await client.get("/duty/week")
    assert "Stand-in" in page.text
    assert "Alpha at the dentist" in page.text
    assert re.search(r">09:00</time>\u2013<time[^>]*>13:00</time> Stand-in", page.text)
    bad = await client.post("/duty/overrides", data={**form, "end": "tomorrow", "csrf_token": csrf})
    assert bad.status_code == 422
    assert "end:" in bad.text
    backwards = await client.post(
        "/duty/overrides", data={**form, "end": "2026-06-02T08:00", "csrf_token": csrf}
    )
    assert backwards.status_code == 422
    unknown = await client.post(
        "/duty/overrides", data={**form, "person_id": "nobody", "csrf_token": csrf}
    )
    assert unknown.status_code in {404, 422}
    assert 'role="alert"' in unknown.text
    cancel = await client.post("/duty/overrides/1/cancel", data={"csrf_token": csrf})
    assert cancel.status_code == 303
    assert "Alpha at the dentist" not in (await client.get("/duty/week")).text
    again = await client.post("/duty/overrides/1/cancel", data={"csrf_token": csrf})
    assert again.status_code == 409


async def test_a_commander_swaps_two_shifts(
    context: AppContext, client: httpx.AsyncClient, config_path: Path
) -> None:
    shifts = await _noc_shifts(context, config_path)
    first, second = shifts[0], shifts[1]
    assert first.person != second.person
    csrf = await browser_login(context, client, "delta", Role.COMMANDER)
    form = {
        "csrf_token": csrf,
        "post_id": "noc",
        "layer": "base",
        "first_person_id": first.person,
        "first_shift_start": _local(first),
        "second_person_id": second.person,
        "second_shift_start": _local(second),
        "reason": "family matter",
    }
    added = await client.post("/duty/swaps", data=form)
    assert added.status_code == 303, added.text
    after = await _noc_shifts(context, config_path)
    assert (after[0].person, after[1].person) == (second.person, first.person)
    page = await client.get("/duty/week")
    assert "family matter" in page.text
    assert "swap" in page.text
    wrong = await client.post("/duty/swaps", data={**form, "first_shift_start": "2026-06-01T08:30"})
    assert wrong.status_code == 422
    assert 'role="alert"' in wrong.text
    audit = await client.get("/admin/audit")
    assert audit.status_code == 403  # a commander does not read the audit log


async def test_a_duty_officer_cannot_add_overrides(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    csrf = await browser_login(context, client, "alpha", Role.DUTY_OFFICER)
    refused = await client.post(
        "/duty/overrides",
        data={"csrf_token": csrf, "post_id": "noc", "person_id": "alpha",
              "start": "2026-06-02T09:00", "end": "2026-06-02T10:00"},
    )  # fmt: skip
    assert refused.status_code == 403
    assert (await client.post("/duty/swaps/1/cancel", data={"csrf_token": csrf})).status_code == 403
