"""Fixtures of the ingestion tests, and the fail2ban pass rates in the terminal summary."""

from __future__ import annotations

import pytest

SCORES_KEY = pytest.StashKey[dict[str, str]]()


def record_rate(config: pytest.Config, name: str, line: str) -> None:
    config.stash.setdefault(SCORES_KEY, {})[name] = line


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config
) -> None:
    scores = config.stash.get(SCORES_KEY, {})
    if not scores:
        return
    terminalreporter.section("fail2ban samples: Garrison's pass rates")
    for name in sorted(scores):
        terminalreporter.write_line(scores[name])
