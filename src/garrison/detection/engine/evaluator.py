"""One event in, every finding out: Sigma rules and correlations, detectors, indicator lists."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from garrison.detection.detectors.admin_login import AdminLoginDetector
from garrison.detection.detectors.base import Detector
from garrison.detection.findings import Finding
from garrison.detection.intel.lists import ThreatIntel
from garrison.detection.records import LogEvent
from garrison.detection.sigma.engine import SigmaEngine
from garrison.detection.sigma.model import LoadReport, RuleSet

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class EvaluationCounts:
    events: int = 0
    findings: int = 0
    failures: int = 0
    by_detector: dict[str, int] = field(default_factory=dict)


class DetectionEngine:
    def __init__(
        self,
        ruleset: RuleSet,
        *,
        detectors: Sequence[Detector] = (),
        intel: ThreatIntel | None = None,
        prefilter: bool = True,
    ) -> None:
        self.sigma = SigmaEngine(ruleset, prefilter=prefilter)
        self.detectors = tuple(detectors)
        self.intel = intel
        self.counts = EvaluationCounts()
        self._seq = 0

    @property
    def report(self) -> LoadReport:
        return self.sigma.ruleset.report

    @property
    def admin_login(self) -> AdminLoginDetector | None:
        return next((d for d in self.detectors if isinstance(d, AdminLoginDetector)), None)

    def evaluate(self, event: LogEvent, *, seq: int | None = None) -> list[Finding]:
        """Every finding of one event; a detector that fails is logged and skipped."""
        if seq is None:
            seq = self._seq
        self._seq = seq + 1
        counts = self.counts
        counts.events += 1
        findings = self.sigma.evaluate(event, seq=seq)
        for detector in self.detectors:
            try:
                found = detector.evaluate(event, seq=seq)
            except Exception:
                counts.failures += 1
                logger.exception(
                    "detector %s failed on an event of %s", detector.name, event.source
                )
                continue
            if found:
                counts.by_detector[detector.name] = counts.by_detector.get(detector.name, 0) + 1
                findings.extend(found)
        if self.intel is not None:
            findings.extend(self.intel.evaluate(event, seq=seq))
        counts.findings += len(findings)
        return findings
