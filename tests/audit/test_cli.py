"""``garrison audit verify`` and ``garrison audit list``."""

from __future__ import annotations

import asyncio

from click.testing import CliRunner

from garrison.audit.verify import ChainProblem, VerifyReport
from garrison.cli.audit_cmd import audit_group, format_report, run_list, run_verify
from garrison.cli.state import CliState
from garrison.runtime.assembly import open_context
from garrison.runtime.context import AppContext
from garrison.settings import Settings
from tests.audit.factories import append_entries, delete_entry


async def test_run_verify_and_run_list(context: AppContext) -> None:
    await append_entries(context, 3)
    report = await run_verify(context)
    assert report.intact
    assert report.checked == 3
    entries = await run_list(context, limit=2)
    assert [entry.seq for entry in entries] == [3, 2]


def test_the_report_names_the_first_bad_entry() -> None:
    problem = ChainProblem(seq=7, entry_id=42, kind="edited", message="Entry #7 was edited.")
    broken = VerifyReport(intact=False, checked=6, problem=problem, head_seq=9, head_hash="ab")
    text = format_report(broken)
    assert "#7" in text
    assert "id 42" in text
    assert "edited" in text
    assert "6 entries" in text
    intact = VerifyReport(intact=True, checked=9, problem=None, head_seq=9, head_hash="ab")
    assert "intact" in format_report(intact)


def _state(settings: Settings) -> CliState:
    return CliState(
        overrides={
            "data_dir": settings.data_dir,
            "database_url": settings.resolved_database_url,
        }
    )


async def _append(settings: Settings, count: int) -> None:
    async with open_context(settings) as context:
        await append_entries(context, count)


async def _delete(settings: Settings, seq: int) -> None:
    async with open_context(settings) as context:
        await delete_entry(context, seq=seq)


def test_verify_exits_0_when_intact_and_1_when_broken(settings: Settings) -> None:
    asyncio.run(_append(settings, 4))
    runner = CliRunner()
    intact = runner.invoke(audit_group, ["verify"], obj=_state(settings))
    assert intact.exit_code == 0, intact.output
    assert "4 entries checked" in intact.output

    asyncio.run(_delete(settings, 2))
    broken = runner.invoke(audit_group, ["verify"], obj=_state(settings))
    assert broken.exit_code == 1, broken.output
    assert "#2" in broken.output
    assert "deleted" in broken.output


def test_list_shows_the_newest_entries(settings: Settings) -> None:
    asyncio.run(_append(settings, 3))
    result = CliRunner().invoke(audit_group, ["list", "--limit", "2"], obj=_state(settings))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("#3  2026-")
    assert "test.change" in lines[0]
    assert "service:svc-3" in lines[0]
    assert lines[1].startswith("#2  ")


def test_list_refuses_a_limit_out_of_range(settings: Settings) -> None:
    result = CliRunner().invoke(audit_group, ["list", "--limit", "0"], obj=_state(settings))
    assert result.exit_code == 2
