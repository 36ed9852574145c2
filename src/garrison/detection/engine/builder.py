"""Build the engine from the event configuration (or from paths given on the command line)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from garrison.config.detection import DetectionSettings
from garrison.config.detection_rules import DetectorSettings, ThreatIntelList
from garrison.detection.detectors.admin_login import AdminLoginDetector
from garrison.detection.detectors.base import Detector
from garrison.detection.detectors.surge import RequestSurgeDetector
from garrison.detection.engine.evaluator import DetectionEngine
from garrison.detection.intel.lists import ThreatIntel
from garrison.detection.rules import PACK_DIR
from garrison.detection.sigma.loader import load_rules
from garrison.detection.sigma.model import RuleOptions, RuleOverride, RuleSet


@dataclass(frozen=True, slots=True)
class EngineSetup:
    rule_paths: tuple[Path, ...] = ()
    builtin_rules: bool = True
    options: RuleOptions = field(default_factory=RuleOptions)
    threat_intel: tuple[ThreatIntelList, ...] = ()
    detectors: DetectorSettings = field(default_factory=DetectorSettings)
    base_dir: Path | None = None

    @property
    def all_rule_paths(self) -> tuple[Path, ...]:
        configured = tuple(self._resolve(path) for path in self.rule_paths)
        return ((PACK_DIR,) if self.builtin_rules else ()) + configured

    def _resolve(self, path: Path) -> Path:
        if path.is_absolute() or self.base_dir is None:
            return path
        return self.base_dir / path


def setup_from_settings(settings: DetectionSettings, *, base_dir: Path | None) -> EngineSetup:
    overrides = {
        key: RuleOverride(enabled=value.enabled, level=value.level)
        for key, value in settings.rule_overrides.items()
    }
    return EngineSetup(
        rule_paths=settings.rules,
        builtin_rules=settings.detectors.builtin_rules,
        options=RuleOptions(overrides=overrides, placeholders=dict(settings.placeholders)),
        threat_intel=settings.threat_intel,
        detectors=settings.detectors,
        base_dir=base_dir,
    )


def load_ruleset(setup: EngineSetup) -> RuleSet:
    return load_rules(setup.all_rule_paths, setup.options)


def build_detectors(settings: DetectorSettings) -> list[Detector]:
    return [
        RequestSurgeDetector(
            factor=settings.surge_factor,
            min_site_requests=settings.surge_min_site_requests,
            min_source_requests=settings.surge_min_source_requests,
        ),
        AdminLoginDetector(admin_accounts=settings.admin_accounts),
    ]


def build_engine(
    setup: EngineSetup, *, ruleset: RuleSet | None = None, now: float = 0.0, prefilter: bool = True
) -> DetectionEngine:
    """The engine with its rules loaded and its indicator lists read once."""
    intel: ThreatIntel | None = None
    if setup.threat_intel:
        intel = ThreatIntel(setup.threat_intel, base_dir=setup.base_dir)
        intel.refresh(now, force=True)
    return DetectionEngine(
        ruleset if ruleset is not None else load_ruleset(setup),
        detectors=build_detectors(setup.detectors),
        intel=intel,
        prefilter=prefilter,
    )


def setup_for_paths(paths: Sequence[Path], *, builtin_rules: bool) -> EngineSetup:
    return EngineSetup(rule_paths=tuple(paths), builtin_rules=builtin_rules)
