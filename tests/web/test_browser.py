"""The console in a real browser: Debian's Chromium via Playwright against `garrison serve`."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright, expect

from garrison.audit.actor import Actor
from garrison.auth.permissions import Role
from garrison.auth.users import create_user, set_password
from garrison.demo.setup import DEMO_EVENT_FILE
from garrison.runtime.assembly import open_context
from garrison.settings import Settings
from tests.process import RunningGarrison, running_garrison, wait_ready

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PASSWORD = "correct horse battery staple"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        if os.environ.get("CI") == "true":
            raise AssertionError("chromium must be installed in CI (.ci/run installs it)")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    return path


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    executable = _chromium()
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def garrison(
    settings: Settings, database_url: str, tmp_path: Path
) -> AsyncIterator[RunningGarrison]:
    async with open_context(settings) as context, context.sessions() as session:
        user, _ = await create_user(
            session,
            username="lan",
            role=Role.DUTY_OFFICER,
            display_name="Nguyễn Thị Lan",
            actor=Actor.system("test"),
            now=context.clock.now(),
        )
        await set_password(
            session,
            user=user,
            new_password=PASSWORD,
            actor=Actor.system("test"),
            now=context.clock.now(),
        )
        await session.commit()
    async with running_garrison(
        data_dir=settings.data_dir,
        database_url=database_url,
        log_path=tmp_path / "serve.log",
        config=DEMO_EVENT_FILE,
    ) as running:
        await wait_ready(running.port)
        yield running


async def test_log_in_see_the_event_switch_language_and_log_out(
    browser: Browser, garrison: RunningGarrison
) -> None:
    page = await browser.new_page(viewport={"width": 1280, "height": 720})
    await page.goto(f"{garrison.url}/")
    assert page.url.startswith(f"{garrison.url}/login")

    await page.fill("#username", "lan")
    await page.fill("#password", "not the password at all")
    await page.click("button.primary")
    await expect(page.get_by_role("alert")).to_be_visible()

    await page.fill("#username", "lan")
    await page.fill("#password", PASSWORD)
    await page.click("button.primary")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Demo National Congress 2026")
    await expect(page.locator("#services-heading")).to_contain_text("(15)")
    await expect(page.get_by_role("row", name="Leased line (primary)")).to_contain_text("uplink")

    await page.get_by_role("button", name="Tiếng Việt").click()
    await expect(page.locator("html")).to_have_attribute("lang", "vi")
    await expect(page.locator("#services-heading")).to_contain_text("Dịch vụ")

    await page.locator("form[action='/logout'] button").click()
    await expect(page.locator("#username")).to_be_visible()
    await page.goto(f"{garrison.url}/")
    assert "/login" in page.url
