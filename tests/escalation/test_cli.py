"""``garrison escalation preview``: the policy a new incident would get and whom it would page."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from garrison.cli.main import cli
from tests.escalation.factories import Endpoints, write_scenario


def _config(tmp_path: Path) -> Path:
    endpoints = Endpoints(
        smtp_port=2525,
        ca_file=tmp_path / "ca.pem",
        webhook_url="http://127.0.0.1:9/hooks",
        chat_url="http://127.0.0.1:9/chat",
        sms_url="http://127.0.0.1:9/sms",
    )
    return write_scenario(tmp_path / "event.yaml", endpoints)


def test_preview_names_the_policy_and_whom_each_step_reaches(tmp_path: Path) -> None:
    config = _config(tmp_path)
    data = ["--data-dir", str(tmp_path / "data")]
    result = CliRunner().invoke(
        cli, [*data, "escalation", "preview", "--config", str(config), "--service", "soc-feed"]
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "Policy: Security incidents (security), 1 round(s)"
    assert lines[1] == "Step 1 (person:mike), then wait 3 min:"
    assert lines[2] == "  Mike (mike) by email, sms"
    assert lines[3] == "Step 2 (unit_leader:cyber), then wait 5 min:"
    assert lines[4] == "  Kilo (kilo) by email, sms"

    standard = CliRunner().invoke(
        cli, [*data, "escalation", "preview", "--config", str(config), "--service", "uplink"]
    )
    assert standard.exit_code == 0, standard.output
    assert "Step 2 (role:engineer@comms, commander), then wait 10 min:" in standard.stdout
    assert "  Echo (echo) by email, webhook, sms" in standard.stdout
    assert "  reaches nobody: commander" in standard.stdout
