"""The ingestion metrics, created once per Prometheus registry (never at import)."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge


@dataclass(frozen=True, slots=True)
class IngestMetrics:
    events_in: Counter
    dropped: Counter
    rejected: Counter
    parse_errors: Counter
    invalid_utf8: Counter
    queue_depth: Gauge
    queue_capacity: Gauge
    dispatched: Counter
    sink_failures: Counter
    stored: Counter
    store_dropped: Counter
    source_up: Gauge
    purged: Counter


def register_ingest_metrics(registry: CollectorRegistry) -> IngestMetrics:
    return IngestMetrics(
        events_in=Counter(
            "garrison_ingest_events",
            "Log events accepted into the detection pipeline, by source",
            ["source"],
            registry=registry,
        ),
        dropped=Counter(
            "garrison_ingest_dropped",
            "Log events dropped before the pipeline, by source and reason (queue_full, …)",
            ["source", "reason"],
            registry=registry,
        ),
        rejected=Counter(
            "garrison_ingest_rejected",
            "Inputs refused as bad (too_large, truncated, malformed, too_deep, bomb, …)",
            ["source", "reason"],
            registry=registry,
        ),
        parse_errors=Counter(
            "garrison_ingest_parse_errors",
            "Lines no parser of the source understood (kept as raw events), by source",
            ["source"],
            registry=registry,
        ),
        invalid_utf8=Counter(
            "garrison_ingest_invalid_utf8",
            "Inputs that were not valid UTF-8 (decoded with replacement characters)",
            ["source"],
            registry=registry,
        ),
        queue_depth=Gauge(
            "garrison_detection_queue_depth",
            "Events waiting in the detection pipeline's queue",
            registry=registry,
        ),
        queue_capacity=Gauge(
            "garrison_detection_queue_capacity",
            "Bound of the detection pipeline's queue, in events",
            registry=registry,
        ),
        dispatched=Counter(
            "garrison_detection_dispatched_events",
            "Events delivered from the queue to the sinks",
            registry=registry,
        ),
        sink_failures=Counter(
            "garrison_detection_sink_failures",
            "Batches a detection sink failed to accept, by sink",
            ["sink"],
            registry=registry,
        ),
        stored=Counter(
            "garrison_log_events_stored",
            "Log events written to the searchable store",
            registry=registry,
        ),
        store_dropped=Counter(
            "garrison_log_events_store_dropped",
            "Log events not stored because the store's buffer was full or a write failed",
            ["reason"],
            registry=registry,
        ),
        source_up=Gauge(
            "garrison_ingest_source_up",
            "Whether a source's listener or tail is running (1) or failed (0)",
            ["source"],
            registry=registry,
        ),
        purged=Counter(
            "garrison_log_events_purged",
            "Stored log events deleted after the retention period",
            registry=registry,
        ),
    )
