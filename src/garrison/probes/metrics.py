"""The probe engine's Prometheus instruments, registered on the context's registry."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

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

    def observe_result(self, check_id: str, result: CheckResult) -> None:
        self.check_up.labels(check_id).set(1 if result.ok else 0)
        if result.latency_ms is not None and math.isfinite(result.latency_ms):
            self.check_latency.labels(check_id).set(result.latency_ms / 1000.0)
        days = certificate_days_left(result.details)
        if days is not None:
            self.certificate_days.labels(check_id).set(days)

    def observe_run(
        self, *, check_type: str, kind: str, planned: datetime, started: datetime
    ) -> None:
        self.schedule_lag.observe(max(0.0, (started - planned).total_seconds()))
        self.runs.labels(check_type).inc()
        if kind in ("timeout", "error", "overlap"):
            self.errors.labels(check_type, kind).inc()


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
