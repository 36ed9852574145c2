"""SigmaHQ as the oracle: every rule loads (or says why not), every regression sample fires."""

from __future__ import annotations

import collections
from datetime import UTC, datetime

import pytest

from garrison.detection.records import LogEvent
from garrison.detection.sigma.engine import SigmaEngine
from garrison.detection.sigma.loader import load_rules
from garrison.detection.sigma.model import RuleSet
from tests.detection.engine.sigmahq import (
    SUMMARY,
    raw_samples,
    regression_events,
    rule_folders,
    sigmahq_available,
)

# Refusals we accept, and why: these rules use %placeholders% (the expand modifier) that a
# deployment must define in detection.placeholders; without values they cannot match.
MAX_REFUSALS = 5


pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sigmahq_rules() -> RuleSet:
    sigmahq_available()
    return load_rules(rule_folders())


def test_all_sigmahq_rules_load_or_say_why(sigmahq_rules: RuleSet) -> None:
    report = sigmahq_rules.report
    reasons = collections.Counter(refusal.reason for refusal in report.refused)
    SUMMARY.append(
        f"SigmaHQ rules: {len(report.loaded)} loaded, {len(report.refused)} refused "
        f"({report.files} files)"
    )
    SUMMARY.extend(f"  refused x{count}: {reason}" for reason, count in reasons.items())
    assert all(refusal.reason and refusal.path for refusal in report.refused)
    assert len(report.refused) <= MAX_REFUSALS, report.refused
    assert all("placeholder" in refusal.reason for refusal in report.refused)
    assert len(report.loaded) > 3000


def test_every_regression_sample_fires_its_rule(sigmahq_rules: RuleSet) -> None:
    engine = SigmaEngine(sigmahq_rules)
    by_id = {rule.info.id: rule for rule in sigmahq_rules.rules}
    passed: list[str] = []
    failed: list[str] = []
    for folder, info, parsed in regression_events():
        expected = str(info["rule_metadata"][0]["id"])
        title = info["rule_metadata"][0].get("title", expected)
        rule = by_id.get(expected)
        events = parsed
        if not events and rule is not None:
            # Raw text samples (Cisco CLI logs) have no parser: read as the rule's log source.
            events = [
                LogEvent("regression", datetime.now(UTC), rule.logsource, {"message": line}, line)
                for line in raw_samples(folder)
            ]
        fired = {
            finding.rule.id
            for index, item in enumerate(events)
            for finding in engine.evaluate(item, seq=index)
        }
        (passed if expected in fired else failed).append(f"{title} ({expected})")
    total = len(passed) + len(failed)
    SUMMARY.append(
        f"SigmaHQ regression samples: {len(passed)}/{total} fire their rule "
        f"({100 * len(passed) / max(total, 1):.1f} %)"
    )
    assert not failed, f"{len(failed)} of {total} samples did not fire: {failed}"
