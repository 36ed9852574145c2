"""The metrics every Garrison process exports, created per registry (never at import)."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info

from garrison import __version__


@dataclass(frozen=True, slots=True)
class CoreMetrics:
    http_requests: Counter
    http_latency: Histogram
    workers_running: Gauge
    worker_restarts: Counter


def register_core_metrics(registry: CollectorRegistry) -> CoreMetrics:
    Info("garrison_build", "Garrison build information", registry=registry).info(
        {"version": __version__}
    )
    return CoreMetrics(
        http_requests=Counter(
            "garrison_http_requests",
            "HTTP requests served, by route template, method and status",
            ["route", "method", "status"],
            registry=registry,
        ),
        http_latency=Histogram(
            "garrison_http_request_duration_seconds",
            "HTTP request duration by route template",
            ["route"],
            registry=registry,
        ),
        workers_running=Gauge(
            "garrison_workers_running",
            "Background workers running (1) or not (0)",
            ["worker"],
            registry=registry,
        ),
        worker_restarts=Counter(
            "garrison_worker_restarts",
            "Background worker restarts after a failure",
            ["worker"],
            registry=registry,
        ),
    )
