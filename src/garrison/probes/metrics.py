"""The probe engine's Prometheus instruments, registered on the context's registry."""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from garrison.probes.results import CheckResult

LAG_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass(frozen=True, slots=True)
class ProbeMetrics:
    check_up: Gauge
    check_latency: Gauge
    certificate_days: Gauge
    schedule_lag: Histogram
    runs: Counter
    errors: Counter
    queue_depth: Gauge
    results_dropped: Counter
    write_errors: Counter
    write_seconds: Histogram
    # Labelled children by (metric name, labels): ``labels()`` costs more than the update.
    children: dict[tuple[object, ...], Any] = field(
        default_factory=dict, kw_only=True, repr=False, compare=False
    )

    def observe_result(self, check_id: str, result: CheckResult) -> None:
        self._child(self.check_up, check_id).set(1 if result.ok else 0)
        if result.latency_ms is not None and math.isfinite(result.latency_ms):
            self._child(self.check_latency, check_id).set(result.latency_ms / 1000.0)
        days = certificate_days_left(result.details)
        if days is not None:
            self._child(self.certificate_days, check_id).set(days)

    def observe_run(
        self, *, check_type: str, kind: str, planned: datetime, started: datetime
    ) -> None:
        self.schedule_lag.observe(max(0.0, (started - planned).total_seconds()))
        self._child(self.runs, check_type).inc()
        if kind in ("timeout", "error", "overlap"):
            self._child(self.errors, check_type, kind).inc()

    def _child(self, metric: Gauge | Counter, *labels: str) -> Any:
        key = (metric, *labels)
        child = self.children.get(key)
        if child is None:
            child = self.children[key] = metric.labels(*labels)
        return child


def certificate_days_left(details: dict[str, object]) -> float | None:
    """Days until the certificate expires, as TLS results report it (``days_left``)."""
    for source in (details, details.get("certificate")):
        if isinstance(source, dict):
            value = source.get("days_left")
            if isinstance(value, int | float) and not isinstance(value, bool):
                return float(value)
    return None


def register_probe_metrics(registry: CollectorRegistry) -> ProbeMetrics:
    return ProbeMetrics(
        check_up=Gauge(
            "garrison_probe_up",
            "Whether the check's last run passed (1) or failed (0)",
            ["check"],
            registry=registry,
        ),
        check_latency=Gauge(
            "garrison_probe_latency_seconds",
            "Duration of the check's last run",
            ["check"],
            registry=registry,
        ),
        certificate_days=Gauge(
            "garrison_probe_certificate_expiry_days",
            "Days until the certificate seen by the check expires",
            ["check"],
            registry=registry,
        ),
        schedule_lag=Histogram(
            "garrison_probe_schedule_lag_seconds",
            "Actual minus planned start of check runs",
            buckets=LAG_BUCKETS,
            registry=registry,
        ),
        runs=Counter(
            "garrison_probe_runs",
            "Check runs started, by check type",
            ["type"],
            registry=registry,
        ),
        errors=Counter(
            "garrison_probe_errors",
            "Runs the engine had to end itself: timeout, runner error, overlap",
            ["type", "kind"],
            registry=registry,
        ),
        queue_depth=Gauge(
            "garrison_probe_queue_depth",
            "Results waiting for the batch writer",
            registry=registry,
        ),
        results_dropped=Counter(
            "garrison_probe_results_dropped",
            "Results dropped because the writer's queue was full",
            registry=registry,
        ),
        write_errors=Counter(
            "garrison_probe_write_errors",
            "Batches the writer failed to store",
            registry=registry,
        ),
        write_seconds=Histogram(
            "garrison_probe_write_seconds",
            "Time to store one batch of results",
            registry=registry,
        ),
    )


_REFUSALS: weakref.WeakKeyDictionary[CollectorRegistry, Counter] = weakref.WeakKeyDictionary()


def heartbeat_refusals_not_audited(registry: CollectorRegistry) -> Counter:
    """Heartbeat refusals past the audit allowance, created once per registry."""
    counter = _REFUSALS.get(registry)
    if counter is None:
        counter = _REFUSALS[registry] = Counter(
            "garrison_probe_heartbeat_refusals_not_audited",
            "Refused heartbeat calls not audited because one was audited for the check lately",
            registry=registry,
        )
    return counter
