"""``event_config_json_schema`` and the ``garrison config`` commands."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from garrison.cli.config_cmd import config_group
from garrison.config import EventConfig, event_config_json_schema
from garrison.errors import GarrisonError

from .conftest import WriteFile

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo-event.yaml"


@dataclass(frozen=True)
class Outcome:
    exit_code: int
    stdout: str
    stderr: str


def _run(*args: str) -> Outcome:
    """Invoke the group as ``garrison.cli.main`` does: GarrisonError → stderr and its exit code."""
    result = CliRunner().invoke(config_group, list(args))
    if isinstance(result.exception, GarrisonError):
        return Outcome(result.exception.exit_code, result.stdout, str(result.exception))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return Outcome(result.exit_code, result.stdout, result.stderr)


def test_schema_describes_services() -> None:
    schema = event_config_json_schema()
    json.loads(json.dumps(schema))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    # Every section of the root model, plus the loader's `include`.
    assert set(schema["properties"]) == {"include", *EventConfig.model_fields}
    assert {"event", "services", "checks", "duty", "incidents"} <= set(schema["properties"])
    service = schema["$defs"]["Service"]
    assert service["additionalProperties"] is False
    assert set(service["required"]) == {"id", "name", "kind", "criticality", "unit"}
    assert schema["$defs"]["ServiceKind"]["enum"] == [
        "link",
        "website",
        "dns",
        "voice",
        "video",
        "email",
        "other",
    ]


def test_cli_schema_prints_json() -> None:
    outcome = _run("schema")
    assert outcome.exit_code == 0
    assert json.loads(outcome.stdout) == event_config_json_schema()
    assert outcome.stdout.startswith('{\n  "$schema"')


def test_cli_check_valid_file_prints_a_summary() -> None:
    outcome = _run("check", str(DEMO))
    assert outcome.exit_code == 0
    lines = outcome.stdout.splitlines()
    assert lines[0] == "Event: Demo National Congress 2026 (congress-2026)"
    assert lines[1] == "Window: 2026-10-12 07:00 → 2026-10-18 22:00 (Asia/Ho_Chi_Minh)"
    assert lines[2].startswith("Files: 2 (digest ")
    assert "  services: 15" in lines
    assert "  people: 12" in lines
    assert "  redundancy groups: 1" in lines
    assert lines[-1] == "The configuration is valid."


def test_cli_check_invalid_file_exits_2_with_positions(write: WriteFile) -> None:
    path = write(
        "event.yaml",
        """
        event:
          id: demo
          name: Demo
          timezone: Asia/Ho_Chi_Minh
          start: 2026-10-12T07:00:00
          end: 2026-10-18T22:00:00
        sites:
          - {id: hall, name: Hall}
          - {id: hall, name: Hall again}
        """,
    )
    outcome = _run("check", str(path))
    assert outcome.exit_code == 2
    assert outcome.stdout == ""
    assert outcome.stderr == (
        f"{path}:9:6: sites[1].id: duplicate id 'hall': sites[0] already uses it"
    )


def test_cli_check_missing_file_exits_2(tmp_path: Path) -> None:
    outcome = _run("check", str(tmp_path / "absent.yaml"))
    assert outcome.exit_code == 2
    assert f"{tmp_path / 'absent.yaml'}:1:1: file not found" in outcome.stderr
