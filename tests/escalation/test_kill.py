"""A real `garrison serve` killed with SIGKILL in the middle of an escalation: started again over
the same database, it pages every remaining level, and every page arrives exactly once."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections import Counter
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from garrison.audit.actor import Actor
from garrison.auth.permissions import Permission, Role
from garrison.auth.tokens import create_token
from garrison.auth.users import create_user
from garrison.runtime.assembly import open_context
from garrison.settings import Settings
from tests.escalation.factories import Endpoints, write_scenario
from tests.notify.sinks import SmtpSink
from tests.process import RunningGarrison, running_garrison, wait_ready

# Three seconds between levels: long enough to kill the server between two of them.
FAST_POLICY = """
escalation:
  default_policy: fast
  policies:
    - id: fast
      name: Fast
      steps:
        - targets: [{kind: person, person: alpha}]
          wait_minutes: 0.05
        - targets: [{kind: person, person: echo}]
          wait_minutes: 0.05
        - targets: [{kind: person, person: foxtrot}]
          wait_minutes: 0.05
        - targets: [{kind: unit_leader, unit: comms}]
          wait_minutes: 0.05
"""
EXPECTED = {"alpha": 1, "echo": 1, "foxtrot": 1, "lima": 1}


async def _admin_token(settings: Settings) -> str:
    async with open_context(settings) as context:
        now = context.clock.now()
        async with context.sessions() as session:
            user, _password = await create_user(
                session,
                username="chief",
                role=Role.ADMIN,
                display_name=None,
                actor=Actor.system("test"),
                now=now,
            )
            user.must_change_password = False
            created = await create_token(
                session,
                owner=user,
                name="test",
                scopes=frozenset(Permission),
                granted=frozenset(Permission),
                expires_at=now + timedelta(hours=1),
                actor=Actor.system("test"),
                now=now,
            )
            await session.commit()
    return created.secret


async def _escalation_status(port: int, token: str, incident_id: int) -> str:
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {token}"}
    ) as client:
        answer = await client.get(f"/api/v1/incidents/{incident_id}/escalation")
        answer.raise_for_status()
        status: str = answer.json()["status"]
        return status


async def _wait_exhausted(port: int, token: str, incident_id: int) -> None:
    # The server offers no push of escalation states: poll its API, bounded.
    async with asyncio.timeout(30):
        while await _escalation_status(port, token, incident_id) != "exhausted":  # noqa: ASYNC110
            await asyncio.sleep(0.2)


@pytest.mark.slow
async def test_sigkill_mid_escalation_then_restart_pages_each_level_exactly_once(
    settings: Settings,
    database_url: str,
    tmp_path: Path,
    endpoints: Endpoints,
    smtp: SmtpSink,
) -> None:
    config = write_scenario(tmp_path / "event.yaml", endpoints, escalation=FAST_POLICY)
    token = await _admin_token(settings)

    def serve(log: str) -> contextlib.AbstractAsyncContextManager[RunningGarrison]:
        return running_garrison(
            data_dir=settings.data_dir,
            database_url=database_url,
            log_path=tmp_path / log,
            config=config,
        )

    async with serve("first.log") as first:
        await wait_ready(first.port)
        async with httpx.AsyncClient(
            base_url=first.url, headers={"Authorization": f"Bearer {token}"}
        ) as client:
            opened = await client.post(
                "/api/v1/incidents",
                json={"title": "Uplink down", "severity": "sev1", "services": ["uplink"]},
            )
            assert opened.status_code == 201, opened.text
            incident_id = int(opened.json()["id"])
        # Killed as soon as the second level's page arrives: mid-escalation, likely even
        # between sending it and recording that it was sent.
        await smtp.wait_for(2, seconds=30)
        first.process.send_signal(signal.SIGKILL)
        await first.process.wait()
    assert len(smtp.messages) == 2

    async with serve("second.log") as second:
        await wait_ready(second.port)
        await smtp.wait_for(4, seconds=30)
        await _wait_exhausted(second.port, token, incident_id)
        second.process.send_signal(signal.SIGTERM)
        await second.process.wait()

    received = Counter(mail.recipients[0].split("@")[0] for mail in smtp.messages)
    assert received == EXPECTED
    # Every page is for this incident, with the same Message-ID never seen twice.
    assert len({mail.message["Message-ID"] for mail in smtp.messages}) == len(EXPECTED)
