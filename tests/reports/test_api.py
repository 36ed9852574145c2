"""Reports over HTTP (report:read): every kind in every format and language; incident forms."""

from __future__ import annotations

import csv
import io
import json

import httpx
import pytest

from garrison.auth.permissions import Role
from garrison.runtime.context import AppContext
from tests.auth.factories import bearer, make_token, make_user
from tests.reports.seed import seed_incidents

API = "/api/v1"


async def _headers(context: AppContext, username: str, role: Role) -> dict[str, str]:
    await make_user(context, username, role=role)
    return bearer(await make_token(context, username))


async def test_report_routes_need_report_read(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    observer = await _headers(context, "olga", Role.OBSERVER)  # no report:read
    for path in ("/reports/daily", "/reports/final?format=json", "/incidents/1/forms/initial"):
        assert (await client.get(API + path)).status_code == 401
        assert (await client.get(API + path, headers=observer)).status_code == 403


@pytest.mark.parametrize("kind", ["shift", "daily", "final"])
async def test_every_kind_in_json_csv_and_html(
    context: AppContext, client: httpx.AsyncClient, kind: str
) -> None:
    await seed_incidents(context, context.clock.now().replace(hour=4))  # 11:00 in Hanoi
    leader = await _headers(context, "lena", Role.LEADER)
    exported = await client.get(f"{API}/reports/{kind}?format=json", headers=leader)
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-type"] == "application/json"
    assert "attachment" in exported.headers["content-disposition"]
    figures = json.loads(exported.content)
    assert figures["kind"] == kind
    assert figures["incidents"]["total"] == 2
    assert figures["incidents"]["by_severity"] == {"sev1": 1, "sev3": 1}
    assert figures["incidents"]["acknowledge_median"] == 120.0
    assert figures["drill_incidents"]["total"] == 1
    table = await client.get(f"{API}/reports/{kind}?format=csv", headers=leader)
    rows = list(csv.reader(io.StringIO(table.text)))
    assert rows[0] == ["section", "key", "value"]
    assert ["incidents", "total", "2"] in rows
    assert ["drill_incidents", "total", "1"] in rows
    for lang, title in (("en", "Total: 2"), ("vi", '<html lang="vi">')):
        page = await client.get(f"{API}/reports/{kind}?format=html&lang={lang}", headers=leader)
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert title in page.text
        assert "<script" not in page.text
        assert "http://" not in page.text.replace('xmlns="http://www.w3.org/2000/svg"', "")


async def test_bad_parameters_are_refused_naming_them(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    leader = await _headers(context, "lena", Role.LEADER)
    for path, name in (
        ("/reports/weekly", "kind"),
        ("/reports/daily?format=docx", "format"),
        ("/reports/daily?lang=fr", "lang"),
        ("/reports/daily?date=yesterday", "date"),
        ("/incidents/1/forms/memo", "form"),
    ):
        response = await client.get(API + path, headers=leader)
        assert response.status_code == 422, path
        assert name in response.text, path


async def test_the_daily_report_of_a_chosen_day_and_an_incident_form(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    await seed_incidents(context, context.clock.now().replace(hour=4))
    leader = await _headers(context, "lena", Role.LEADER)
    other_day = await client.get(f"{API}/reports/daily?format=json&date=2026-05-30", headers=leader)
    assert other_day.json()["incidents"]["total"] == 0
    form = await client.get(f"{API}/incidents/1/forms/closure?lang=vi", headers=leader)
    assert form.status_code == 200, form.text
    assert "Báo cáo kết thúc ứng cứu sự cố #1" in form.text
    assert (
        await client.get(f"{API}/incidents/99/forms/initial", headers=leader)
    ).status_code == 404
