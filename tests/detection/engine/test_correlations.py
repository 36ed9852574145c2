"""Sigma correlations on sliding windows of event time, with group-by, aliases and bounds."""

from __future__ import annotations

from pathlib import Path

from garrison.detection.records import LogEvent, LogSource
from garrison.detection.sigma.engine import SigmaEngine
from tests.conftest import TEST_START
from tests.detection.engine.factories import event, minutes, ruleset_from

LINUX = LogSource(product="linux", service="auth")
LOGSOURCE = "product: linux\n    service: auth"

FAILED = """title: Failed login
id: 10000000-0000-4000-8000-000000000001
name: failed_login
author: Tester
logsource:
    product: linux
    service: auth
detection:
    s:
        outcome: failure
    condition: s
"""
SUCCEEDED = """title: Successful login
id: 10000000-0000-4000-8000-000000000002
name: good_login
author: Tester
logsource:
    product: linux
    service: auth
detection:
    s:
        outcome: success
    condition: s
"""


def correlation(body: str, *, name: str = "corr", generate: bool = False) -> str:
    return (
        f"title: Correlation {name}\nid: 20000000-0000-4000-8000-00000000000{len(name) % 10}\n"
        f"name: {name}\nauthor: Correlator\nlevel: high\ncorrelation:\n"
        f"    generate: {str(generate).lower()}\n{body}"
    )


def engine(tmp_path: Path, *documents: str, max_groups: int = 10_000) -> SigmaEngine:
    ruleset = ruleset_from(tmp_path, *documents)
    assert ruleset.report.refused == []
    return SigmaEngine(ruleset, max_groups=max_groups)


def login(outcome: str, address: str, user: str, at_minute: float) -> LogEvent:
    return event(
        {"outcome": outcome, "ip": address, "user": user, "target": address},
        logsource=LINUX,
        at=TEST_START + minutes(at_minute),
    )


EVENT_COUNT = correlation(
    "    type: event_count\n    rules: [failed_login]\n    group-by: [ip]\n"
    "    timespan: 5m\n    condition:\n        gte: 3\n"
)


def test_event_count_fires_within_the_window_per_group(tmp_path: Path) -> None:
    sigma = engine(tmp_path, FAILED, EVENT_COUNT)
    seen = []
    for index, (address, minute) in enumerate(
        [("192.0.2.1", 0), ("192.0.2.2", 1), ("192.0.2.1", 2), ("192.0.2.1", 3)]
    ):
        seen.extend(sigma.evaluate(login("failure", address, "u", minute), seq=index))
    assert [f.rule.title for f in seen] == ["Correlation corr"]
    assert seen[0].matched_fields == {"ip": "192.0.2.1", "count": 3}
    assert seen[0].event_seqs == (0, 2, 3)
    assert seen[0].rule.author == "Correlator"


def test_event_count_window_slides(tmp_path: Path) -> None:
    sigma = engine(tmp_path, FAILED, EVENT_COUNT)
    found = []
    for index, minute in enumerate([0, 4, 6, 11]):
        found.extend(sigma.evaluate(login("failure", "192.0.2.1", "u", minute), seq=index))
    assert found == []  # never three within five minutes
    found.extend(sigma.evaluate(login("failure", "192.0.2.1", "u", 12), seq=9))
    found.extend(sigma.evaluate(login("failure", "192.0.2.1", "u", 13), seq=10))
    assert len(found) == 1


def test_base_rules_of_a_non_generating_correlation_stay_quiet(tmp_path: Path) -> None:
    sigma = engine(tmp_path, FAILED, EVENT_COUNT)
    assert sigma.evaluate(login("failure", "192.0.2.1", "u", 0), seq=0) == []
    generating = engine(
        tmp_path / "g",
        FAILED,
        correlation(
            "    type: event_count\n    rules: [failed_login]\n    group-by: [ip]\n"
            "    timespan: 5m\n    condition:\n        gte: 3\n",
            generate=True,
        ),
    )
    found = generating.evaluate(login("failure", "192.0.2.1", "u", 0), seq=0)
    assert [f.rule.title for f in found] == ["Failed login"]


def test_value_count_counts_distinct_values(tmp_path: Path) -> None:
    rule = correlation(
        "    type: value_count\n    rules: [failed_login]\n    group-by: [ip]\n"
        "    timespan: 10m\n    condition:\n        field: user\n        gte: 3\n"
    )
    sigma = engine(tmp_path, FAILED, rule)
    found = []
    for index, user in enumerate(["a", "a", "b", "b", "c"]):
        found.extend(sigma.evaluate(login("failure", "192.0.2.9", user, index), seq=index))
    assert len(found) == 1
    assert found[0].matched_fields["count"] == 3
    assert found[0].matched_fields["user"] == ["a", "b", "c"]


def test_temporal_needs_every_rule_in_the_window_in_any_order(tmp_path: Path) -> None:
    rule = correlation(
        "    type: temporal\n    rules: [good_login, failed_login]\n    group-by: [user]\n"
        "    timespan: 2m\n"
    )
    sigma = engine(tmp_path, FAILED, SUCCEEDED, rule)
    assert sigma.evaluate(login("success", "192.0.2.1", "bob", 0), seq=0) == []
    # Too late: the success left the window.
    assert sigma.evaluate(login("failure", "192.0.2.1", "bob", 3), seq=1) == []
    found = sigma.evaluate(login("success", "192.0.2.1", "bob", 4), seq=2)
    assert len(found) == 1
    assert found[0].matched_fields["rules"] == sorted(
        ["10000000-0000-4000-8000-000000000001", "10000000-0000-4000-8000-000000000002"]
    )


def test_temporal_ordered_needs_the_order(tmp_path: Path) -> None:
    rule = correlation(
        "    type: temporal_ordered\n    rules: [failed_login, good_login]\n    group-by: [user]\n"
        "    timespan: 5m\n"
    )
    sigma = engine(tmp_path, FAILED, SUCCEEDED, rule)
    assert sigma.evaluate(login("success", "192.0.2.1", "eve", 0), seq=0) == []
    assert sigma.evaluate(login("failure", "192.0.2.1", "eve", 1), seq=1) == []
    found = sigma.evaluate(login("success", "192.0.2.1", "eve", 2), seq=2)
    assert len(found) == 1
    assert found[0].event_seqs == (1, 2)


def test_aliases_group_rules_by_different_fields(tmp_path: Path) -> None:
    rule = correlation(
        "    type: temporal\n    rules: [failed_login, good_login]\n    group-by: [address]\n"
        "    timespan: 5m\n    aliases:\n        address:\n            failed_login: ip\n"
        "            good_login: target\n"
    )
    sigma = engine(tmp_path, FAILED, SUCCEEDED, rule)
    first = event({"outcome": "failure", "ip": "192.0.2.5"}, logsource=LINUX)
    second = event({"outcome": "success", "target": "192.0.2.5"}, logsource=LINUX)
    assert sigma.evaluate(first, seq=0) == []
    found = sigma.evaluate(second, seq=1)
    assert len(found) == 1
    assert found[0].matched_fields["address"] == "192.0.2.5"


def test_group_state_is_bounded(tmp_path: Path) -> None:
    sigma = engine(tmp_path, FAILED, EVENT_COUNT, max_groups=10)
    for index in range(100):
        sigma.evaluate(login("failure", f"192.0.2.{index}", "u", 0), seq=index)
    assert sigma.correlation_groups == 10
    # The oldest groups were evicted: two more failures from the first address do not fire.
    found = []
    for index in range(2):
        found.extend(sigma.evaluate(login("failure", "192.0.2.0", "u", 1), seq=200 + index))
    assert found == []


def test_a_correlation_of_correlations(tmp_path: Path) -> None:
    inner = EVENT_COUNT
    outer = (
        "title: Repeated bursts\nid: 30000000-0000-4000-8000-000000000001\nname: bursts\n"
        "author: Tester\ncorrelation:\n    type: event_count\n    rules: [corr]\n"
        "    group-by: [ip]\n    timespan: 1h\n    condition:\n        gte: 2\n"
    )
    sigma = engine(tmp_path, FAILED, inner, outer)
    found = []
    for index in range(6):
        found.extend(sigma.evaluate(login("failure", "192.0.2.1", "u", index * 0.1), seq=index))
    # The outer correlation does not "generate": the inner one's own alerts stay quiet.
    assert [f.rule.title for f in found] == ["Repeated bursts"]
