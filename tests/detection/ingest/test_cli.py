"""`garrison logs parse`: normalised events of a file as JSON lines."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from garrison.cli.main import cli

SSHD = (
    "Jun  1 08:00:00 bastion sshd[9]: Failed password for invalid user oracle "
    "from 203.0.113.50 port 4242 ssh2\n"
    "Jun  1 08:00:01 bastion sshd[9]: Connection from 192.0.2.1 port 22\n"
)


def _run(*arguments: str) -> tuple[int, list[dict[str, object]], str]:
    result = CliRunner().invoke(cli, ["logs", "parse", *arguments])
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return result.exit_code, lines, result.stderr


def test_prints_log_and_auth_failure_events(tmp_path: Path) -> None:
    path = tmp_path / "auth.log"
    path.write_text(SSHD, encoding="utf-8")
    code, events, _err = _run("--format", "sshd", str(path))
    assert code == 0
    assert [event["kind"] for event in events] == ["log", "auth_failure", "log"]
    failure = events[1]["fields"]
    assert isinstance(failure, dict)
    assert failure["source_address"] == "203.0.113.50"
    assert failure["account"] == "oracle"
    assert failure["product"] == "sshd"
    assert events[0]["logsource"] == {"product": "linux", "service": "sshd", "category": None}


def test_pretty_printed_json_documents_one_after_another(tmp_path: Path) -> None:
    path = tmp_path / "events.json"
    document = {
        "Event": {
            "System": {
                "EventID": 4688,
                "Channel": "Security",
                "Provider": {"#attributes": {"Name": "X"}},
            },
            "EventData": {"NewProcessName": "C:\\a.exe"},
        }
    }
    path.write_text(
        json.dumps(document, indent=2) + "\n" + json.dumps(document, indent=2), encoding="utf-8"
    )
    code, events, _err = _run(str(path))
    assert code == 0
    assert [event["fields"]["Image"] for event in events] == ["C:\\a.exe", "C:\\a.exe"]  # type: ignore[index]


def test_unreadable_input_exits_2_with_a_clear_message(tmp_path: Path) -> None:
    missing = tmp_path / "nope.log"
    result = CliRunner().invoke(cli, ["logs", "parse", str(missing)])
    assert result.exit_code == 2
    assert f"{missing}: cannot read: No such file or directory" in result.output
    folder = CliRunner().invoke(cli, ["logs", "parse", str(tmp_path)])
    assert folder.exit_code == 2
    unknown = CliRunner().invoke(cli, ["logs", "parse", "--format", "klingon", str(missing)])
    assert unknown.exit_code == 2


def test_standard_input_and_bad_lines(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["logs", "parse", "-"], input=b"\xff\xfe binary junk\n" + SSHD.encode()
    )
    assert result.exit_code == 0
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert events[0]["parser"] == "raw"
    assert events[0]["raw"].startswith("\ufffd\ufffd")
    assert any(event["kind"] == "auth_failure" for event in events)
