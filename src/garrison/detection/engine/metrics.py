"""Prometheus instruments of the rule engine, registered once per running Garrison."""

from __future__ import annotations

import weakref
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


@dataclass(frozen=True, slots=True)
class EngineMetrics:
    events: Counter
    findings: Counter
    alerts: Counter
    rules_loaded: Gauge
    rules_refused: Gauge
    batch_seconds: Histogram


_METRICS: weakref.WeakKeyDictionary[CollectorRegistry, EngineMetrics] = weakref.WeakKeyDictionary()


def engine_metrics(registry: CollectorRegistry) -> EngineMetrics:
    metrics = _METRICS.get(registry)
    if metrics is None:
        metrics = EngineMetrics(
            events=Counter(
                "garrison_detection_events_evaluated",
                "Events run through the rule engine.",
                registry=registry,
            ),
            findings=Counter(
                "garrison_detection_findings",
                "Rule, correlation, detector and intelligence matches.",
                ["kind"],
                registry=registry,
            ),
            alerts=Counter(
                "garrison_detection_alerts_raised",
                "New alerts stored (repeats within the window are counted on the alert).",
                ["level"],
                registry=registry,
            ),
            rules_loaded=Gauge(
                "garrison_detection_rules_loaded", "Rules loaded at start.", registry=registry
            ),
            rules_refused=Gauge(
                "garrison_detection_rules_refused", "Rules refused at start.", registry=registry
            ),
            batch_seconds=Histogram(
                "garrison_detection_batch_seconds",
                "Time to evaluate one batch of events.",
                registry=registry,
            ),
        )
        _METRICS[registry] = metrics
    return metrics
