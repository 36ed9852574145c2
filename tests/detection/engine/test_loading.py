"""Loading: refusals name the file and the rule, filters, overrides, placeholders."""

from __future__ import annotations

from pathlib import Path

from garrison.detection.sigma.engine import SigmaEngine
from garrison.detection.sigma.loader import load_rules
from garrison.detection.sigma.model import RuleOptions, RuleOverride
from tests.detection.engine.factories import event, rule_yaml, ruleset_from, write_rules

GOOD = rule_yaml("s:\n  Image|endswith: '\\good.exe'\ncondition: s", title="Good")


def test_a_malformed_rule_is_refused_with_its_file_and_id(tmp_path: Path) -> None:
    broken = rule_yaml(
        "s:\n  Image|nosuchmodifier: 'x'\ncondition: s",
        rule_id="00000000-0000-4000-8000-00000000bad1",
        title="Broken",
    )
    path = write_rules(tmp_path / "rules", GOOD + "---\n" + broken)
    ruleset = load_rules([path])
    assert [r.info.title for r in ruleset.rules] == ["Good"]
    (refusal,) = ruleset.report.refused
    assert refusal.path == str(path)
    assert refusal.rule_id == "00000000-0000-4000-8000-00000000bad1"
    assert refusal.title == "Broken"
    assert "nosuchmodifier" in refusal.reason


def test_invalid_yaml_names_the_file_and_line(tmp_path: Path) -> None:
    path = write_rules(tmp_path / "rules", "title: x\ndetection: [unclosed\n", name="bad.yml")
    write_rules(tmp_path / "rules", GOOD, name="good.yml")
    ruleset = load_rules([tmp_path / "rules"])
    assert len(ruleset.rules) == 1
    (refusal,) = ruleset.report.refused
    assert refusal.path == str(path)
    assert "line" in refusal.reason


def test_a_condition_naming_a_missing_selection_is_refused(tmp_path: Path) -> None:
    ruleset = ruleset_from(tmp_path, rule_yaml("s:\n  Image: x\ncondition: s and missing"))
    assert ruleset.rules == []
    assert "missing" in ruleset.report.refused[0].reason


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    ruleset = ruleset_from(tmp_path, GOOD, GOOD)
    assert len(ruleset.rules) == 1
    assert "Duplicate" in ruleset.report.refused[0].reason


def test_a_missing_path_is_reported(tmp_path: Path) -> None:
    ruleset = load_rules([tmp_path / "nowhere"])
    assert ruleset.report.refused[0].path == str(tmp_path / "nowhere")


def test_a_correlation_of_a_missing_rule_is_refused(tmp_path: Path) -> None:
    correlation = (
        "title: C\nid: 20000000-0000-4000-8000-000000000001\ncorrelation:\n"
        "    type: event_count\n    rules: [nothing_here]\n    timespan: 5m\n"
        "    condition:\n        gte: 2\n"
    )
    ruleset = ruleset_from(tmp_path, GOOD, correlation)
    assert ruleset.correlations == []
    assert "nothing_here" in ruleset.report.refused[0].reason


def test_an_unresolved_placeholder_is_refused_with_its_name(tmp_path: Path) -> None:
    ruleset = ruleset_from(tmp_path, rule_yaml("s:\n  User|expand: '%admins%'\ncondition: s"))
    assert "%admins%" in ruleset.report.refused[0].reason


def test_filters_tune_rules_locally(tmp_path: Path) -> None:
    rule = rule_yaml(
        "s:\n  Image|endswith: '\\net.exe'\ncondition: s", name="net_use", title="Net use"
    )
    local_filter = (
        "title: Our backup job\nid: 40000000-0000-4000-8000-000000000001\n"
        "logsource:\n    product: windows\n    category: process_creation\n"
        "filter:\n    rules:\n        - net_use\n    selection:\n"
        "        ParentImage|endswith: '\\backup.exe'\n    condition: not selection\n"
    )
    ruleset = ruleset_from(tmp_path, rule, local_filter)
    assert ruleset.report.refused == []
    assert ruleset.report.filters == 1
    sigma = SigmaEngine(ruleset)
    assert sigma.evaluate(event({"Image": "\\net.exe", "ParentImage": "\\backup.exe"}), seq=0) == []
    assert sigma.evaluate(event({"Image": "\\net.exe", "ParentImage": "\\explorer.exe"}), seq=1)


def test_overrides_disable_rules_and_change_levels(tmp_path: Path) -> None:
    other = rule_yaml(
        "s:\n  Image|endswith: '\\other.exe'\ncondition: s",
        rule_id="00000000-0000-4000-8000-000000000002",
        title="Other",
        name="other_rule",
    )
    options = RuleOptions(
        overrides={
            "00000000-0000-4000-8000-000000000001": RuleOverride(enabled=False),
            "other_rule": RuleOverride(level="critical"),
            "no-such-rule": RuleOverride(enabled=False),
        }
    )
    ruleset = ruleset_from(tmp_path, GOOD, other, options=options)
    assert [r.info.title for r in ruleset.rules] == ["Other"]
    assert ruleset.rules[0].info.level == "critical"
    assert ruleset.report.disabled == ["00000000-0000-4000-8000-000000000001"]
    assert any("no-such-rule" in warning for warning in ruleset.report.warnings)
    sigma = SigmaEngine(ruleset)
    assert sigma.evaluate(event({"Image": "\\good.exe"}), seq=0) == []


def test_rules_without_a_license_take_their_folders(tmp_path: Path) -> None:
    (tmp_path / "LICENSE.md").write_text("Detection Rule License (DRL) 1.1\n", encoding="utf-8")
    ruleset = ruleset_from(tmp_path, GOOD)
    assert ruleset.rules[0].info.license == "DRL-1.1"
    assert ruleset.rules[0].info.author == "Tester"
