"""The probe engine's Prometheus instruments, registered on the context's registry.

What changes on every run — each check's last outcome, latency and certificate
expiry, runs and errors by type, the schedule lag — is kept in plain counters and
dictionaries (:class:`ProbeReadings`) and turned into metric families only when
the registry is scraped: a run costs a few dictionary updates, not a lock and a
labelled child per instrument. The writer's own instruments (queue depth, drops,
write errors and time) change once per batch and are ordinary ones.
"""

from __future__ import annotations

import math
import weakref
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from garrison.probes.results import CheckResult

LAG_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_ENGINE_ERRORS = frozenset({"timeout", "error", "overlap"})


@dataclass(eq=False)
class ProbeReadings(Collector):
    """Per-run readings in plain Python objects, exported when the registry is collected."""

    up: dict[str, float] = field(default_factory=dict)
    latency_seconds: dict[str, float] = field(default_factory=dict)
    certificate_days: dict[str, float] = field(default_factory=dict)
    runs: dict[str, int] = field(default_factory=dict)
    errors: dict[tuple[str, str], int] = field(default_factory=dict)
    # One count per bucket of LAG_BUCKETS, then one for +Inf (not cumulative).
    lag_counts: list[int] = field(default_factory=lambda: [0] * (len(LAG_BUCKETS) + 1))
    lag_sum: float = 0.0

    def observe_result(self, check_id: str, result: CheckResult) -> None:
        self.up[check_id] = 1.0 if result.ok else 0.0
        latency = result.latency_ms
        if latency is not None and math.isfinite(latency):
            self.latency_seconds[check_id] = latency / 1000.0
        if result.details:
            days = certificate_days_left(result.details)
            if days is not None:
                self.certificate_days[check_id] = days

    def observe_run(self, check_type: str, kind: str, lag: float) -> None:
        lag = max(0.0, lag)
        self.lag_counts[bisect_left(LAG_BUCKETS, lag)] += 1  # buckets are "less or equal"
        self.lag_sum += lag
        self.runs[check_type] = self.runs.get(check_type, 0) + 1
        if kind in _ENGINE_ERRORS:
            key = (check_type, kind)
            self.errors[key] = self.errors.get(key, 0) + 1

    def collect(self) -> Iterator[Metric]:
        yield _gauges(
            "garrison_probe_up", "Whether the check's last run passed (1) or failed (0)", self.up
        )
        yield _gauges(
            "garrison_probe_latency_seconds",
            "Duration of the check's last run",
            self.latency_seconds,
        )
        yield _gauges(
            "garrison_probe_certificate_expiry_days",
            "Days until the certificate seen by the check expires",
            self.certificate_days,
        )
        cumulative, total = [], 0
        for bound, count in zip(
            (*map(str, LAG_BUCKETS), "+Inf"), list(self.lag_counts), strict=True
        ):
            total += count
            cumulative.append((bound, float(total)))
        yield HistogramMetricFamily(
            "garrison_probe_schedule_lag_seconds",
            "Actual minus planned start of check runs",
            buckets=cumulative,
            sum_value=self.lag_sum,
        )
        runs = CounterMetricFamily(
            "garrison_probe_runs", "Check runs started, by check type", labels=["type"]
        )
        for check_type, count in sorted(dict(self.runs).items()):
            runs.add_metric([check_type], count)
        yield runs
        errors = CounterMetricFamily(
            "garrison_probe_errors",
            "Runs the engine had to end itself: timeout, runner error, overlap",
            labels=["type", "kind"],
        )
        for (check_type, kind), count in sorted(dict(self.errors).items()):
            errors.add_metric([check_type, kind], count)
        yield errors


def _gauges(name: str, documentation: str, values: dict[str, float]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=["check"])
    for check_id, value in dict(values).items():  # a copy: a scrape may run in a thread
        family.add_metric([check_id], value)
    return family


@dataclass(frozen=True, slots=True)
class ProbeMetrics:
    readings: ProbeReadings
    queue_depth: Gauge
    results_dropped: Counter
    write_errors: Counter
    write_seconds: Histogram

    def observe_result(self, check_id: str, result: CheckResult) -> None:
        self.readings.observe_result(check_id, result)

    def observe_run(
        self, *, check_type: str, kind: str, planned: datetime, started: datetime
    ) -> None:
        self.readings.observe_run(check_type, kind, (started - planned).total_seconds())


def certificate_days_left(details: dict[str, object]) -> float | None:
    """Days until the certificate expires, as TLS results report it (``days_left``)."""
    for source in (details, details.get("certificate")):
        if isinstance(source, dict):
            value = source.get("days_left")
            if isinstance(value, int | float) and not isinstance(value, bool):
                return float(value)
    return None


def register_probe_metrics(registry: CollectorRegistry) -> ProbeMetrics:
    readings = ProbeReadings()
    registry.register(readings)
    return ProbeMetrics(
        readings=readings,
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
