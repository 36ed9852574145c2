"""``garrison incident integration-add`` and ``garrison incident list``."""

from __future__ import annotations

import asyncio
import hashlib

from click.testing import CliRunner

from garrison.cli.incident_cmd import incident_group
from garrison.cli.state import CliState
from garrison.incidents.models import Integration
from garrison.incidents.service import NewIncident, open_incident
from garrison.incidents.vocabulary import Category, Classification, Severity
from garrison.runtime.assembly import open_context
from garrison.settings import Settings
from tests.incidents.factories import TEST_ACTOR


def _state(settings: Settings) -> CliState:
    return CliState(
        overrides={"data_dir": settings.data_dir, "database_url": settings.resolved_database_url}
    )


async def _stored_key_hash(settings: Settings, integration_id: str) -> str | None:
    async with open_context(settings) as context, context.sessions() as session:
        record = await session.get(Integration, integration_id)
        return None if record is None else record.key_hash


async def _open_secret_incident(settings: Settings) -> None:
    async with open_context(settings) as context, context.sessions() as session:
        await open_incident(
            session,
            new=NewIncident(
                title="Data taken from the press PC",
                severity=Severity.SEV1,
                category=Category.DATA_THEFT,
                classification=Classification.SECRET,
            ),
            actor=TEST_ACTOR,
            now=context.clock.now(),
        )
        await session.commit()


def test_integration_add_prints_the_key_once_and_stores_its_hash(settings: Settings) -> None:
    runner = CliRunner()
    result = runner.invoke(
        incident_group,
        ["integration-add", "pd-legacy", "--kind", "pagerduty", "--severity", "sev2"],
        obj=_state(settings),
    )
    assert result.exit_code == 0, result.output
    key = result.output.strip().rsplit(" ", 1)[-1]
    assert len(key) == 32
    stored = asyncio.run(_stored_key_hash(settings, "pd-legacy"))
    assert stored == hashlib.sha256(key.encode()).hexdigest()

    again = runner.invoke(
        incident_group,
        ["integration-add", "pd-legacy", "--kind", "pagerduty"],
        obj=_state(settings),
    )
    assert again.exit_code != 0
    bad = runner.invoke(
        incident_group, ["integration-add", "Bad Id", "--kind", "webhook"], obj=_state(settings)
    )
    assert bad.exit_code != 0


def test_list_shows_every_incident_to_the_server_operator(settings: Settings) -> None:
    asyncio.run(_open_secret_incident(settings))
    result = CliRunner().invoke(incident_group, ["list"], obj=_state(settings))
    assert result.exit_code == 0, result.output
    assert "INC-1" in result.output
    assert "SEV1" in result.output
    assert "secret" in result.output
