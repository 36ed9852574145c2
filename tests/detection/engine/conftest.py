"""Prints the SigmaHQ figures (rules loaded/refused, regression pass rate) after the run."""

from __future__ import annotations

import pytest

from tests.detection.engine.sigmahq import SUMMARY


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if SUMMARY:
        terminalreporter.section("SigmaHQ")
        for line in SUMMARY:
            terminalreporter.write_line(line)
