"""The engine's per-run readings, as a scrape of the registry shows them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prometheus_client import CollectorRegistry

from garrison.probes.metrics import register_probe_metrics
from garrison.probes.results import CheckResult

T0 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


def result(*, ok: bool, latency_ms: float | None, details: dict[str, object]) -> CheckResult:
    return CheckResult(
        ok=ok, reason="", started_at=T0, location="local", latency_ms=latency_ms, details=details
    )


def test_runs_errors_and_lag_buckets_are_counted() -> None:
    registry = CollectorRegistry()
    metrics = register_probe_metrics(registry)
    for lag, kind in ((0.005, "ok"), (0.3, "timeout"), (12.0, "overlap"), (-1.0, "failed")):
        metrics.observe_run(
            check_type="http", kind=kind, planned=T0, started=T0 + timedelta(seconds=lag)
        )
    metrics.observe_run(check_type="tcp", kind="error", planned=T0, started=T0)

    def value(name: str, **labels: str) -> float | None:
        return registry.get_sample_value(name, labels)

    assert value("garrison_probe_runs_total", type="http") == 4
    assert value("garrison_probe_runs_total", type="tcp") == 1
    assert value("garrison_probe_errors_total", type="http", kind="timeout") == 1
    assert value("garrison_probe_errors_total", type="http", kind="overlap") == 1
    assert value("garrison_probe_errors_total", type="tcp", kind="error") == 1
    assert value("garrison_probe_errors_total", type="http", kind="failed") is None
    bucket = "garrison_probe_schedule_lag_seconds_bucket"
    # A bucket counts lags up to and including its bound; a negative lag counts as 0.
    assert value(bucket, le="0.001") == 2
    assert value(bucket, le="0.005") == 3
    assert value(bucket, le="0.25") == 3
    assert value(bucket, le="0.5") == 4
    assert value(bucket, le="10.0") == 4
    assert value(bucket, le="+Inf") == 5
    assert value("garrison_probe_schedule_lag_seconds_count") == 5
    assert value("garrison_probe_schedule_lag_seconds_sum") == 12.305


def test_gauges_keep_the_last_value_each_result_reports() -> None:
    registry = CollectorRegistry()
    metrics = register_probe_metrics(registry)
    metrics.observe_result("cert", result(ok=True, latency_ms=20, details={"days_left": 12}))
    # A failed run that measured nothing leaves the last latency and expiry as they were.
    metrics.observe_result("cert", result(ok=False, latency_ms=None, details={}))
    metrics.observe_result("web", result(ok=True, latency_ms=float("inf"), details={}))

    def value(name: str, check: str) -> float | None:
        return registry.get_sample_value(name, {"check": check})

    assert value("garrison_probe_up", "cert") == 0
    assert value("garrison_probe_latency_seconds", "cert") == 0.02
    assert value("garrison_probe_certificate_expiry_days", "cert") == 12
    assert value("garrison_probe_up", "web") == 1
    assert value("garrison_probe_latency_seconds", "web") is None
