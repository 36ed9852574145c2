"""``garrison rules check`` and ``garrison detect``."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from garrison.cli.main import cli
from tests.detection.engine.factories import rule_yaml, write_rules

GOOD = rule_yaml("s:\n  CommandLine|contains: 'whoami'\ncondition: s", title="Whoami")
BROKEN = rule_yaml(
    "s:\n  CommandLine|nosuch: 'x'\ncondition: s",
    rule_id="00000000-0000-4000-8000-00000000beef",
    title="Broken",
)
SYSMON_EVENT = {
    "Event": {
        "System": {
            "Provider": {"#attributes": {"Name": "Microsoft-Windows-Sysmon"}},
            "EventID": 1,
            "Channel": "Microsoft-Windows-Sysmon/Operational",
            "Computer": "ws01",
            "TimeCreated": {"#attributes": {"SystemTime": "2026-06-01T08:00:00Z"}},
        },
        "EventData": {"Image": "C:\\Windows\\System32\\whoami.exe", "CommandLine": "whoami /all"},
    }
}


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_rules_check_reports_loaded_and_refused_rules(tmp_path: Path) -> None:
    path = write_rules(tmp_path / "rules", GOOD + "---\n" + BROKEN)
    code, out, _err = invoke("rules", "check", str(tmp_path / "rules"))
    assert code == 1
    assert "Rules loaded: 1" in out
    assert "Rules refused: 1" in out
    assert f"{path}: 00000000-0000-4000-8000-00000000beef (Broken)" in out
    assert "nosuch" in out


def test_rules_check_of_the_builtin_pack_passes() -> None:
    code, out, _err = invoke("rules", "check")
    assert code == 0, out
    assert "Rules refused: 0" in out


def test_rules_check_of_good_rules_passes(tmp_path: Path) -> None:
    write_rules(tmp_path / "rules", GOOD)
    code, out, _err = invoke("rules", "check", str(tmp_path / "rules"))
    assert code == 0
    assert "Rules loaded: 1" in out


def test_detect_prints_one_json_line_per_match(tmp_path: Path) -> None:
    write_rules(tmp_path / "rules", GOOD)
    sample = tmp_path / "sample.json"
    # Pretty-printed documents one after another, as SigmaHQ's regression samples.
    sample.write_text(
        json.dumps({"Event": {"System": {"EventID": 4}}}, indent=2)
        + "\n"
        + json.dumps(SYSMON_EVENT, indent=2),
        encoding="utf-8",
    )
    code, out, err = invoke("detect", "--rules", str(tmp_path / "rules"), "--input", str(sample))
    assert code == 0, err
    (line,) = out.splitlines()
    match = json.loads(line)
    assert match["title"] == "Whoami"
    assert match["author"] == "Tester"
    assert match["level"] == "medium"
    assert match["event_index"] == 1
    assert match["fields"]["CommandLine"] == "whoami /all"
    assert match["matched_fields"] == {"CommandLine": "whoami /all"}
    assert "2 events, 1 matches" in err


def test_detect_reads_access_logs_with_the_ingestion_parsers(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_text(
        '192.0.2.5 - - [01/Jun/2026:08:00:00 +0000] "GET / HTTP/1.1" 200 10 "-" "curl/8"\n'
        '192.0.2.5 - - [01/Jun/2026:08:00:01 +0000] "GET /item?id=1%20union%20select%201 '
        'HTTP/1.1" 200 10 "-" "curl/8"\n',
        encoding="utf-8",
    )
    code, out, err = invoke("detect", "--input", str(log), "--format", "nginx")
    assert code == 0, err
    (line,) = out.splitlines()
    match = json.loads(line)
    assert match["title"] == "SQL injection attempt in a requested URL"
    assert match["author"] == "Garrison"
    assert match["event_index"] == 1


def test_detect_exits_2_on_unreadable_input(tmp_path: Path) -> None:
    code, _out, err = invoke("detect", "--input", str(tmp_path / "missing.json"))
    assert code == 2
    assert "missing.json" in err
    broken = tmp_path / "broken.json"
    broken.write_text('{"a": 1}\n{"b": ', encoding="utf-8")
    code, _out, err = invoke("detect", "--input", str(broken), "--format", "json")
    assert code == 2
    assert "broken.json" in err
    assert "line 2" in err
