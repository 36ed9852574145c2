"""Runners: run one check once over the network and judge the answer.

``run_check`` dispatches on the check's type; each type has its module (``http``,
``tls``, ``dns``, ``tcp``, ``icmp``, ``sip``, ``smtp``, ``content``). Every runner
enforces ``check.timeout`` as a hard deadline and turns every failure into a
failed :class:`~garrison.probes.results.CheckResult`. ``content_baseline`` holds
what the engine needs to approve a page as a content baseline.
"""

from garrison.probes.runners.content_baseline import (
    ContentComparison,
    PageSnapshot,
    baseline_from_json,
    baseline_from_page,
    baseline_to_json,
    compare_with_baseline,
    extract_page,
)
from garrison.probes.runners.dispatch import run_check, runs_actively

__all__ = [
    "ContentComparison",
    "PageSnapshot",
    "baseline_from_json",
    "baseline_from_page",
    "baseline_to_json",
    "compare_with_baseline",
    "extract_page",
    "run_check",
    "runs_actively",
]
