"""The reports page over HTTP: daily and final reports in every format and language, the shift
reports stored at handovers, the daily reports the worker stored, and the incident page's
report forms; all for ``report:read`` only."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from garrison.auth.permissions import Role
from garrison.duty.source import configured_event
from garrison.incidents.vocabulary import Classification
from garrison.reports.shift import DueShift, write_shift_report
from garrison.reports.worker import ReportWorker
from garrison.runtime.context import AppContext
from garrison.settings import Settings
from tests.conftest import TEST_START
from tests.console.factories import browser_login, make_incident
from tests.readiness.factories import WatchedClock
from tests.reports.scenario import write_scenario


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    config = write_scenario(tmp_path / "event.yaml")
    return Settings(data_dir=tmp_path / "data", database_url=database_url, config_file=config)


@pytest.fixture
def clock() -> WatchedClock:
    return WatchedClock(TEST_START)  # 15:00 on the event's first day, in Hanoi


async def test_reports_are_for_report_readers_only(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    paths = (
        "/reports",
        "/reports/download?kind=final&format=json",
        "/reports/daily-files/daily-20260601.pdf",
    )
    for path in paths:
        anonymous = await client.get(path)
        assert anonymous.status_code == 303, path
        assert anonymous.headers["location"].startswith("/login?next="), path
    await browser_login(context, client, "olga", Role.OBSERVER)
    for path in paths:
        assert (await client.get(path)).status_code == 403, path
    incident_id = await make_incident(context, classification=Classification.PUBLIC)
    page = await client.get(f"/incidents/{incident_id}")
    assert page.status_code == 200
    assert "/forms/" not in page.text
    assert 'href="/reports"' not in page.text


async def test_a_duty_officer_downloads_the_daily_and_final_reports(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    await browser_login(context, client, "dana", Role.DUTY_OFFICER)
    page = await client.get("/reports")
    assert page.status_code == 200
    assert 'href="/reports" aria-current="page"' in page.text
    assert 'min="2026-06-01"' in page.text
    assert 'max="2026-06-02"' in page.text
    assert 'value="2026-06-01"' in page.text  # today, in the event's timezone
    for value in ("html", "pdf", "json", "csv", "vi", "en"):
        assert f'value="{value}"' in page.text

    pdf = await client.get(
        "/reports/download", params={"kind": "daily", "date": "2026-06-02", "format": "pdf"}
    )
    assert pdf.status_code == 200, pdf.text[:300]
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    assert pdf.headers["content-disposition"] == (
        'attachment; filename="daily-report-20260602-vi.pdf"'
    )
    daily = await client.get(
        "/reports/download", params={"kind": "daily", "date": "2026-06-01", "format": "json"}
    )
    figures = json.loads(daily.content)
    assert figures["kind"] == "daily"
    assert figures["since"].startswith("2026-05-31T17:00")  # midnight in Hanoi
    html = await client.get(
        "/reports/download", params={"kind": "final", "format": "html", "lang": "en"}
    )
    assert html.status_code == 200
    assert html.headers["content-type"].startswith("text/html")
    assert '<html lang="en">' in html.text
    table = await client.get("/reports/download", params={"kind": "final", "format": "csv"})
    assert table.text.startswith("section,key,value")

    outside = await client.get(
        "/reports/download", params={"kind": "daily", "date": "2026-06-05", "format": "pdf"}
    )
    assert outside.status_code == 422
    assert 'role="alert"' in outside.text
    assert "2026-06-01" in outside.text
    assert (await client.get("/reports/download?kind=weekly")).status_code == 422


async def test_stored_shift_and_daily_reports_are_listed_and_downloadable(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    config = configured_event(context.settings)
    now = context.clock.now()
    async with context.sessions() as session:
        report = await write_shift_report(
            session,
            config=config,
            config_file=context.settings.config_file,
            due=DueShift("desk", "echo", now - timedelta(hours=8), now, until=now),
            now=now,
        )
        assert report is not None
    written = await ReportWorker(context).write_daily(config)
    assert [Path(path).name for path in written] == ["daily-20260601.html", "daily-20260601.pdf"]

    await browser_login(context, client, "dana", Role.DUTY_OFFICER)
    page = await client.get("/reports")
    assert f'href="/api/v1/reports/shifts/{report.id}?format=pdf"' in page.text
    assert "Echo" in page.text  # the person's name from the configuration
    assert 'href="/reports/daily-files/daily-20260601.pdf"' in page.text
    shift_pdf = await client.get(f"/api/v1/reports/shifts/{report.id}?format=pdf")
    assert shift_pdf.content.startswith(b"%PDF-")
    stored = await client.get("/reports/daily-files/daily-20260601.pdf")
    assert stored.status_code == 200
    assert stored.headers["content-type"] == "application/pdf"
    assert stored.content == await asyncio.to_thread(Path(written[1]).read_bytes)
    assert "attachment" in stored.headers["content-disposition"]
    for name in ("daily-20260602.pdf", "daily-20261399.pdf", "event.yaml", "..%2Fevent.yaml"):
        assert (await client.get(f"/reports/daily-files/{name}")).status_code == 404, name


async def test_the_incident_page_links_its_report_forms_for_report_readers(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    incident_id = await make_incident(context)
    await browser_login(context, client, "dana", Role.DUTY_OFFICER)
    page = await client.get(f"/incidents/{incident_id}")
    assert page.status_code == 200
    for form in ("notification", "initial", "closure"):
        for lang in ("vi", "en"):
            link = f"/api/v1/incidents/{incident_id}/forms/{form}?lang={lang}"
            assert f'href="{link}"' in page.text
    rendered = await client.get(f"/api/v1/incidents/{incident_id}/forms/initial?lang=en")
    assert rendered.status_code == 200
    assert "Uplink down" in rendered.text
