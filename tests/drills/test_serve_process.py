"""`garrison serve` as a real process runs the readiness, drill and report workers: a drill
started over HTTP is injected by the drill worker, its incident gets the plan's runbook from
the readiness worker, and the reports answer in every format."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from garrison.auth.permissions import Role
from garrison.runtime.assembly import open_context
from garrison.settings import Settings
from tests.auth.factories import bearer, make_token, make_user
from tests.process import running_garrison, wait_ready
from tests.reports.scenario import SCENARIO

API = "/api/v1"
WAIT_SECONDS = 30.0
SMOKE_DRILL = """  drills:
    - id: smoke
      name: Smoke drill
      injects:
        - {offset_minutes: 0, kind: probe_failure, title: Uplink down, service: uplink}
"""


async def _poll(check: Callable[[], Awaitable[Any]]) -> Any:
    """Ask the server until ``check`` returns something (it has no push to a test)."""
    async with asyncio.timeout(WAIT_SECONDS):
        while True:
            found = await check()
            if found is not None:
                return found
            await asyncio.sleep(0.1)


def _with_smoke_drill(config_path: Path) -> None:
    config_path.write_text(SCENARIO.replace("  drills:\n", SMOKE_DRILL, 1), encoding="utf-8")


async def _commander_token(settings: Settings) -> str:
    async with open_context(settings) as context:
        await make_user(context, "cora", role=Role.COMMANDER)
        return await make_token(context, "cora")


async def test_serve_runs_the_readiness_drill_and_report_workers(
    settings: Settings, config_path: Path, tmp_path: Path
) -> None:
    _with_smoke_drill(config_path)
    token = await _commander_token(settings)
    async with running_garrison(
        data_dir=settings.data_dir,
        database_url=settings.resolved_database_url,
        log_path=tmp_path / "serve.log",
        config=config_path,
    ) as server:
        ready = await wait_ready(server.port)
        workers = ready["workers"]
        assert isinstance(workers, dict)
        assert workers["readiness"] is True
        assert workers["drills"] is True
        assert workers["reports"] is True
        assert workers["shift-reports"] is True
        async with httpx.AsyncClient(base_url=server.url, headers=bearer(token)) as client:
            started = await client.post(API + "/drills", json={"plan_id": "smoke"})
            assert started.status_code == 201, started.text

            async def injected() -> int | None:
                runs = (await client.get(API + "/drills")).json()
                incident_id: int | None = runs[0]["injects"][0]["incident_id"]
                return incident_id

            incident_id = await _poll(injected)

            async def runbooks() -> list[Any] | None:
                found: list[Any] = (
                    await client.get(f"{API}/incidents/{incident_id}/runbooks")
                ).json()
                return found or None

            (checklist,) = await _poll(runbooks)
            assert checklist["plan_id"] == "link-cut"
            incident = (await client.get(f"{API}/incidents/{incident_id}")).json()
            assert incident["is_drill"] is True
            # A probe failure is titled from the service's state, with the drill prefix.
            assert incident["title"].startswith("[DRILL] Uplink")
            pdf = await client.get(API + "/reports/final?format=pdf&lang=vi")
            assert pdf.status_code == 200, pdf.text
            assert pdf.content.startswith(b"%PDF")
