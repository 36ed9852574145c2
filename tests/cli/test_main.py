from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from garrison import __version__
from garrison.cli.main import COMMANDS, cli
from garrison.storage.migrate import head_revision


def test_version() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


def test_every_listed_command_loads() -> None:
    context = cli.make_context("garrison", ["--help"], resilient_parsing=True)
    for name in COMMANDS:
        command = cli.get_command(context, name)
        assert command is not None
        assert command.name == name


def test_unknown_command_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["frobnicate"])
    assert result.exit_code == 2
    assert "No such command" in result.output


def test_garrison_errors_become_their_exit_code_and_a_message(tmp_path: Path) -> None:
    broken = tmp_path / "event.yaml"
    broken.write_text("event:\n  id: x\n  colour: red\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["config", "check", str(broken)])
    assert result.exit_code == 2
    assert f"{broken}:3:3: event.colour" in result.output
    assert not (tmp_path / "garrison-data").exists()


def test_importing_the_cli_does_not_load_the_web_or_database_stack() -> None:
    probe = (
        "import sys, garrison.cli.main; "
        "print(','.join(m for m in ('fastapi', 'sqlalchemy', 'uvicorn') if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == ""


def test_db_commands_move_the_schema_down_and_up(database_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    base = ["--data-dir", str(tmp_path / "data"), "--database-url", database_url]
    newest = head_revision()
    current = runner.invoke(cli, [*base, "db", "current"])
    assert current.exit_code == 0, current.output
    assert f"schema at {newest}; newest is {newest}" in current.output
    down = runner.invoke(cli, [*base, "db", "downgrade", "base"])
    assert down.exit_code == 0, down.output
    assert "schema at nothing (empty database)" in down.output
    up = runner.invoke(cli, [*base, "db", "upgrade"])
    assert up.exit_code == 0, up.output
    assert f"schema at {newest}" in up.output
