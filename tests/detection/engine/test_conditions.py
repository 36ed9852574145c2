"""Conditions: and, or, not, parentheses, "1 of", "all of", "them", several conditions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.detection.engine.factories import event, rule_yaml, sigma_engine

SELECTIONS = """
sel_image:
  Image|endswith: '\\net.exe'
sel_args:
  CommandLine|contains: ' user '
filter_admin:
  User: 'admin'
"""


@pytest.mark.parametrize(
    ("condition", "fields", "expected"),
    [
        ("sel_image and sel_args", {"Image": "c:\\net.exe", "CommandLine": "net user x"}, True),
        ("sel_image and sel_args", {"Image": "c:\\net.exe", "CommandLine": "net group"}, False),
        ("sel_image or sel_args", {"Image": "c:\\x.exe", "CommandLine": "net user x"}, True),
        ("sel_image and not filter_admin", {"Image": "c:\\net.exe", "User": "admin"}, False),
        ("sel_image and not filter_admin", {"Image": "c:\\net.exe", "User": "bob"}, True),
        ("1 of sel_*", {"CommandLine": "a user b"}, True),
        ("all of sel_*", {"CommandLine": "a user b"}, False),
        ("all of sel_*", {"Image": "c:\\net.exe", "CommandLine": "a user b"}, True),
        ("1 of them", {"User": "admin"}, True),
        ("all of them", {"Image": "c:\\net.exe", "CommandLine": " user ", "User": "admin"}, True),
        ("not (sel_image or sel_args)", {"Image": "c:\\x.exe"}, True),
        ("(sel_image or sel_args) and not filter_admin", {"CommandLine": " user "}, True),
        (
            "all of sel_* and not 1 of filter_*",
            {"Image": "\\net.exe", "CommandLine": " user "},
            True,
        ),
    ],
)
def test_conditions(tmp_path: Path, condition: str, fields: dict[str, Any], expected: bool) -> None:
    engine = sigma_engine(tmp_path, rule_yaml(f"{SELECTIONS}\ncondition: {condition}"))
    assert bool(engine.evaluate(event(fields), seq=0)) is expected


def test_several_conditions_are_alternatives(tmp_path: Path) -> None:
    engine = sigma_engine(
        tmp_path, rule_yaml(f"{SELECTIONS}\ncondition:\n  - sel_image\n  - filter_admin")
    )
    assert engine.evaluate(event({"User": "admin"}), seq=0)
    assert not engine.evaluate(event({"User": "bob"}), seq=1)


def test_a_list_of_maps_is_an_or_of_ands(tmp_path: Path) -> None:
    detection = (
        "s:\n  - Image|endswith: '\\a.exe'\n    User: 'x'\n  - Image|endswith: '\\b.exe'\n"
        "condition: s"
    )
    engine = sigma_engine(tmp_path, rule_yaml(detection))
    assert engine.evaluate(event({"Image": "\\a.exe", "User": "x"}), seq=0)
    assert not engine.evaluate(event({"Image": "\\a.exe", "User": "y"}), seq=1)
    assert engine.evaluate(event({"Image": "\\b.exe"}), seq=2)


def test_rules_only_see_events_of_their_log_source(tmp_path: Path) -> None:
    from garrison.detection.records import LogSource  # noqa: PLC0415

    engine = sigma_engine(tmp_path, rule_yaml("s:\n  Image|endswith: '\\a.exe'\ncondition: s"))
    linux = LogSource(product="linux", category="process_creation")
    assert not engine.evaluate(event({"Image": "\\a.exe"}, logsource=linux), seq=0)
    assert engine.evaluate(event({"Image": "\\a.exe"}), seq=1)
