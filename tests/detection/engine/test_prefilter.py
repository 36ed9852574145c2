"""The prefilter only skips work: the same matches with and without it."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from garrison.detection.findings import Finding
from garrison.detection.records import LogEvent
from garrison.detection.sigma.engine import SigmaEngine
from garrison.detection.sigma.loader import load_rules
from garrison.detection.sigma.regex_literals import regex_needles
from tests.detection.engine.factories import event, rule_yaml, ruleset_from, web_request
from tests.detection.engine.sigmahq import SIGMA_ROOT, regression_events, sigmahq_available


def signature(findings: list[Finding]) -> list[tuple[str, tuple[int, ...]]]:
    return sorted((f.rule.id, f.event_seqs) for f in findings)


def compare(ruleset_path: list[Path], events: list[LogEvent]) -> int:
    ruleset = load_rules(ruleset_path)
    fast, slow = SigmaEngine(ruleset), SigmaEngine(load_rules(ruleset_path), prefilter=False)
    total = 0
    for index, item in enumerate(events):
        with_prefilter = signature(fast.evaluate(item, seq=index))
        without = signature(slow.evaluate(item, seq=index))
        assert with_prefilter == without, (index, item.fields)
        total += len(without)
    return total


def test_regex_literals_are_only_what_must_occur() -> None:
    assert regex_needles(r"(?i)\\temp\\[a-z]+\.exe") == frozenset({"\\temp\\"})
    assert regex_needles(r"abc|defg") == frozenset({"abc", "defg"})
    assert regex_needles(r"ab?cd") is None
    assert regex_needles(r"colou?r-scheme") == frozenset({"r-scheme"})
    assert regex_needles(r"\x41BCD") == frozenset({"bcd"})


def test_same_matches_on_a_synthetic_corpus(tmp_path: Path) -> None:
    detections = [
        "s:\n  CommandLine|contains: 'whoami'\ncondition: s",
        "s:\n  Image|endswith: '\\cmd.exe'\n  CommandLine|contains: ' /c '\ncondition: s",
        "s:\n  CommandLine|re: 'pa(ss|ww)ord'\ncondition: s",
        "s:\n  Image|endswith: '\\cmd.exe'\nf:\n  User: SYSTEM\ncondition: s and not f",
        "s:\n  User: null\ncondition: s",
        "s:\n  CommandLine|contains|all: [net, user]\ncondition: s",
    ]
    documents = [
        rule_yaml(d, rule_id=f"00000000-0000-4000-8000-{i:012d}") for i, d in enumerate(detections)
    ]
    path = tmp_path / "rules"
    ruleset_from(path, *documents)
    words = ["whoami", "cmd.exe", "/c", "password", "passw0rd", "net", "user", "SYSTEM", "x"]
    generator = random.Random(7)
    events = []
    for _ in range(400):
        fields: dict[str, object] = {
            "Image": "C:\\Windows\\" + generator.choice(words),
            "CommandLine": " ".join(generator.choice(words) for _ in range(4)),
        }
        if generator.random() < 0.7:
            fields["User"] = generator.choice(words)
        events.append(event(fields))
    assert compare([path / "rules"], events) > 50


@pytest.mark.slow
def test_same_matches_with_sigmahq_rules() -> None:
    sigmahq_available()
    events = [item for _folder, _info, items in regression_events() for item in items]
    events += [web_request(target) for target in ("/", "/a.php?id=1'--", "/.env", "/x?q=<script>")]
    rules = [SIGMA_ROOT / "rules" / "windows" / "process_creation", SIGMA_ROOT / "rules" / "web"]
    assert compare(rules, events) > 50
