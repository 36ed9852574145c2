"""The drill inject schema's detection part: values, and mistakes named with file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from garrison.config import ConfigValidationError, load_config
from tests.reports.scenario import SCENARIO

INJECTS = """        - offset_minutes: 30
          kind: detection
          title: SSH brute force (drill)
          source_address: 203.0.113.77
          detection: {auth_failures: 12, account: admin}
        - offset_minutes: 40
          kind: detection
          title: Named rule (drill)
          detection:
            rule: garrison_brute_force
            event: {source_address: 203.0.113.78, account: root}
            logsource: {product: garrison, category: auth_failure}
"""


def _with_injects(path: Path, injects: str) -> Path:
    anchor = "          expected: {acknowledge_minutes: 5}\n"
    assert anchor in SCENARIO
    path.write_text(SCENARIO.replace(anchor, anchor + injects, 1), encoding="utf-8")
    return path


def _errors(path: Path) -> list[str]:
    with pytest.raises(ConfigValidationError) as caught:
        load_config(path, environ={})
    return [f"{issue.line}: {issue.path}: {issue.message}" for issue in caught.value.issues]


def _line_of(path: Path, text: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if text in line)


def test_detection_injects_are_read(tmp_path: Path) -> None:
    config = load_config(_with_injects(tmp_path / "event.yaml", INJECTS), environ={}).config
    injects = config.readiness.drills[0].injects
    brute, named = injects[2].detection, injects[3].detection
    assert injects[1].detection is None  # the scenario's defacement: a synthetic detection
    assert brute is not None
    assert named is not None
    assert (brute.auth_failures, brute.account, brute.host) == (12, "admin", "drill-host")
    assert named.rule == "garrison_brute_force"
    assert named.event == {"source_address": "203.0.113.78", "account": "root"}
    assert (named.logsource.product, named.logsource.category) == ("garrison", "auth_failure")


def test_mistakes_in_detection_injects_are_named_with_their_line(tmp_path: Path) -> None:
    injects = """        - offset_minutes: 30
          kind: detection
          title: Both kinds of events
          source_address: not-an-address
          detection: {auth_failures: 3, event: {a: b}}
        - offset_minutes: 31
          kind: alert
          title: Not a detection
          detection: {auth_failures: 3}
        - offset_minutes: 32
          kind: detection
          title: No address
          detection:
            auth_failures: 4
        - offset_minutes: 33
          kind: detection
          title: Nothing to inject
          detection: {rule: garrison_brute_force}
"""
    path = _with_injects(tmp_path / "event.yaml", injects)
    base = "readiness.drills[0].injects"
    assert _errors(path) == [
        f"{_line_of(path, 'not-an-address')}: {base}[2].source_address: "
        "'not-an-address' is not an IP address",
        f"{_line_of(path, 'event: {a: b}')}: {base}[2].detection: "
        "give either auth_failures or event, not both nor neither",
        f"{_line_of(path, 'detection: {auth_failures: 3}')}: {base}[3].detection: "
        "only an inject of kind detection has detection events",
        f"{_line_of(path, 'auth_failures: 4')}: {base}[4].detection.auth_failures: "
        "failed logins need the inject's source_address",
        f"{_line_of(path, 'detection: {rule: garrison')}: {base}[5].detection: "
        "give either auth_failures or event, not both nor neither",
    ]


def test_out_of_range_values_are_refused_with_their_line(tmp_path: Path) -> None:
    injects = """        - offset_minutes: 30
          kind: detection
          title: Too many
          source_address: 203.0.113.77
          detection: {auth_failures: 100000, account: "two words"}
"""
    path = _with_injects(tmp_path / "event.yaml", injects)
    errors = _errors(path)
    line = _line_of(path, "auth_failures: 100000")
    assert [error.split(":")[0:2] for error in errors] == [
        [str(line), " readiness.drills[0].injects[2].detection.auth_failures"],
        [str(line), " readiness.drills[0].injects[2].detection.account"],
    ]
