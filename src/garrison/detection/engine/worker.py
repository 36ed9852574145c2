"""The detection worker: consumes the pipeline, evaluates, stores alerts, announces them.

It registers a sink on the detection pipeline (``rules``). Each batch is evaluated in a
worker thread (the web app keeps answering), findings are stored as deduplicated alerts
in one transaction, and every new alert is published as ``DetectionAlertRaised``.
Between batches it re-reads threat-intelligence lists that changed. A batch that cannot
be stored is logged and counted by the pipeline; the worker goes on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path

from garrison.audit.actor import Actor
from garrison.config import load_config
from garrison.config.detection import DetectionSettings
from garrison.detection.alerts.models import DetectionAlert
from garrison.detection.alerts.service import known_addresses, record_findings, remember_addresses
from garrison.detection.engine.builder import build_engine, load_ruleset, setup_from_settings
from garrison.detection.engine.evaluator import DetectionEngine
from garrison.detection.engine.metrics import EngineMetrics, engine_metrics
from garrison.detection.events import DetectionAlertRaised
from garrison.detection.findings import Finding
from garrison.detection.pipeline import pipeline_for
from garrison.detection.records import LogEvent
from garrison.runtime.context import AppContext

logger = logging.getLogger(__name__)

SINK_NAME = "rules"
TICK_SECONDS = 5.0
ACTOR = Actor.system("detection")


class DetectionWorker:
    name = "detection"

    def __init__(
        self,
        context: AppContext,
        *,
        settings: DetectionSettings | None = None,
        base_dir: Path | None = None,
        tick_seconds: float = TICK_SECONDS,
    ) -> None:
        self.context = context
        self._settings = settings
        self._base_dir = base_dir
        self.tick_seconds = tick_seconds
        self.engine: DetectionEngine | None = None
        self.sink: RuleEngineSink | None = None

    async def run(self, started: Callable[[], None]) -> None:
        settings, base_dir = self._settings, self._base_dir
        config_file = self.context.settings.config_file
        if settings is None:
            settings = (
                load_config(config_file).config.detection if config_file else DetectionSettings()
            )
            base_dir = base_dir or (config_file.parent if config_file else None)
        setup = setup_from_settings(settings, base_dir=base_dir)
        # Thousands of rules take seconds to compile: off the event loop.
        ruleset = await asyncio.to_thread(load_ruleset, setup)
        metrics = engine_metrics(self.context.registry)
        _log_report(ruleset.report.refused, loaded=len(ruleset.report.loaded), metrics=metrics)
        clock = self.context.clock
        engine = build_engine(setup, ruleset=ruleset, now=clock.now().timestamp())
        admin = engine.admin_login
        if admin is not None:
            async with self.context.sessions() as session:
                admin.preload(await known_addresses(session))
        self.engine = engine
        self.sink = RuleEngineSink(
            self.context,
            engine,
            dedup_window=timedelta(seconds=settings.detectors.dedup_window_seconds),
            metrics=metrics,
        )
        pipeline = pipeline_for(self.context)
        pipeline.add_sink(SINK_NAME, self.sink)
        started()
        try:
            while True:
                await clock.sleep(self.tick_seconds)
                if engine.intel is not None:
                    await asyncio.to_thread(engine.intel.refresh, clock.now().timestamp())
        finally:
            pipeline.remove_sink(SINK_NAME)


class RuleEngineSink:
    """The pipeline's sink for the rule engine (see ``garrison.detection.pipeline``)."""

    def __init__(
        self,
        context: AppContext,
        engine: DetectionEngine,
        *,
        dedup_window: timedelta,
        metrics: EngineMetrics,
    ) -> None:
        self.context = context
        self.engine = engine
        self.dedup_window = dedup_window
        self.metrics = metrics
        self._lock = asyncio.Lock()

    async def accept(self, events: Sequence[LogEvent]) -> None:
        async with self._lock:
            with self.metrics.batch_seconds.time():
                findings = await asyncio.to_thread(self._evaluate, events)
            self.metrics.events.inc(len(events))
            await self.store(findings)

    def _evaluate(self, events: Sequence[LogEvent]) -> list[Finding]:
        findings: list[Finding] = []
        for event in events:
            findings.extend(self.engine.evaluate(event))
        return findings

    async def store(self, findings: Sequence[Finding]) -> list[DetectionAlert]:
        admin = self.engine.admin_login
        learned = admin.drain_learned() if admin is not None else []
        if not findings and not learned:
            return []
        for finding in findings:
            self.metrics.findings.labels(finding.kind.value).inc()
        now = self.context.clock.now()
        async with self.context.sessions() as session:
            created = await record_findings(
                session, findings=findings, now=now, dedup_window=self.dedup_window, actor=ACTOR
            )
            if learned:
                await remember_addresses(session, learned=learned, actor=ACTOR, now=now)
            await session.commit()
        # The service each source's events belong to, as the ingestion source configured it.
        services = {
            event.source: event.service
            for finding in findings
            for event in finding.events
            if event.service is not None
        }
        for alert in created:
            self.metrics.alerts.labels(alert.rule_level).inc()
            await self.context.bus.publish(
                alert_event(alert, service_id=services.get(alert.source))
            )
        return created


def alert_event(alert: DetectionAlert, *, service_id: str | None = None) -> DetectionAlertRaised:
    return DetectionAlertRaised(
        occurred_at=alert.first_seen_at,
        alert_id=alert.alert_id,
        fingerprint=alert.fingerprint,
        rule_id=alert.rule_id,
        rule_title=alert.rule_title,
        rule_level=alert.rule_level,
        rule_author=alert.rule_author,
        rule_license=alert.rule_license,
        source=alert.source,
        category=alert.category,
        summary=alert.summary,
        source_address=alert.source_address,
        service_id=service_id,
        matched_fields=dict(alert.matched_fields),
        events=tuple(alert.events[-5:]),
        is_drill=alert.is_drill,
    )


def _log_report(refused: Sequence[object], *, loaded: int, metrics: EngineMetrics) -> None:
    metrics.rules_loaded.set(loaded)
    metrics.rules_refused.set(len(refused))
    logger.info("detection rules: %d loaded, %d refused", loaded, len(refused))
    for refusal in refused:
        logger.warning("detection rule refused: %s", refusal)
