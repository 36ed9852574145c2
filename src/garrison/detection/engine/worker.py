"""The detection worker: consumes the pipeline, evaluates, stores alerts, announces them.

It registers a sink on the detection pipeline (``rules``). Each batch is evaluated on the
event loop in slices of ``EVALUATE_SLICE`` events (the loop keeps reading sockets and
answering requests between slices); what it finds is queued for the sink's own writer
task, which stores everything queued as deduplicated alerts in one transaction and
publishes every new alert as ``DetectionAlertRaised``: a slow database delays alerts,
never the evaluation of the next events. Every few seconds it re-reads
threat-intelligence lists that changed. Findings that cannot be stored after a few
attempts are logged and counted (``garrison_detection_sink_failures_total{sink="rules"}``);
the worker goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from garrison.audit.actor import Actor
from garrison.config import load_config
from garrison.config.detection import DetectionSettings
from garrison.detection.alerts.announce import alert_event
from garrison.detection.alerts.models import DetectionAlert
from garrison.detection.alerts.service import known_addresses, record_findings, remember_addresses
from garrison.detection.detectors.admin_login import LearnedAddress
from garrison.detection.engine.builder import build_engine, load_ruleset, setup_from_settings
from garrison.detection.engine.evaluator import DetectionEngine
from garrison.detection.engine.metrics import EngineMetrics, engine_metrics
from garrison.detection.findings import Finding
from garrison.detection.pipeline import pipeline_for
from garrison.detection.records import LogEvent
from garrison.runtime.context import AppContext

logger = logging.getLogger(__name__)

SINK_NAME = "rules"
TICK_SECONDS = 5.0
# Events evaluated between two turns of the event loop (a few milliseconds of work). On the
# loop itself, not in a thread: the engine is pure Python, a thread would only add GIL
# hand-offs to every batch.
EVALUATE_SLICE = 256
# Findings (and learned administrator addresses) waiting to be stored, at most.
MAX_PENDING_FINDINGS = 10_000
STORE_ATTEMPTS = 3
RETRY_SECONDS = 0.5
FLUSH_SECONDS = 10.0
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
        writer = asyncio.create_task(self.sink.write_forever(), name="detection:alerts")
        started()
        try:
            while True:
                await clock.sleep(self.tick_seconds)
                if writer.done():
                    writer.result()  # a writer that died takes the worker down (restarted)
                if engine.intel is not None:
                    await asyncio.to_thread(engine.intel.refresh, clock.now().timestamp())
        finally:
            pipeline.remove_sink(SINK_NAME)
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
            # Findings evaluated but not stored yet are stored before the worker goes.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.sink.flush(), FLUSH_SECONDS)


class RuleEngineSink:
    """The pipeline's sink for the rule engine (see ``garrison.detection.pipeline``).

    ``accept`` evaluates on the loop and queues what it found; ``write_forever`` stores
    everything queued in one transaction and announces the new alerts. The queue of
    findings is bounded (``max_pending``): when it is full, ``accept`` waits, the
    pipeline's queue fills and intake drops (counted); findings are never dropped.
    """

    def __init__(
        self,
        context: AppContext,
        engine: DetectionEngine,
        *,
        dedup_window: timedelta,
        metrics: EngineMetrics,
        max_pending: int = MAX_PENDING_FINDINGS,
    ) -> None:
        self.context = context
        self.engine = engine
        self.dedup_window = dedup_window
        self.metrics = metrics
        self.max_pending = max_pending
        self._lock = asyncio.Lock()
        self._pending: list[_Found] = []
        self._pending_count = 0
        self._has_work = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()
        self._writing = asyncio.Lock()
        self._gate = pipeline_for(context).alerts_first

    @property
    def pending(self) -> int:
        """Findings and learned administrator addresses evaluated but not stored yet."""
        return self._pending_count

    async def accept(self, events: Sequence[LogEvent]) -> None:
        async with self._lock:
            with self.metrics.batch_seconds.time():
                findings: list[Finding] = []
                for start in range(0, len(events), EVALUATE_SLICE):
                    if start:
                        await asyncio.sleep(0)  # the loop reads and answers between slices
                    findings.extend(self._evaluate(events[start : start + EVALUATE_SLICE]))
            self.metrics.events.inc(len(events))
            admin = self.engine.admin_login
            learned = admin.drain_learned() if admin is not None else []
            if not findings and not learned:
                return
            while self._pending_count >= self.max_pending:
                self._room.clear()
                await self._room.wait()
            if not self._pending:
                self._gate.hold()  # released when stored: raw-event writes wait till then
            self._pending.append(_Found(findings, learned))
            self._pending_count += len(findings) + len(learned)
            self._has_work.set()

    def _evaluate(self, events: Sequence[LogEvent]) -> list[Finding]:
        findings: list[Finding] = []
        evaluate = self.engine.evaluate
        for event in events:
            findings.extend(evaluate(event))
        return findings

    async def write_forever(self) -> None:
        """Store and announce what ``accept`` queued, until cancelled."""
        while True:
            if not self._pending:
                self._has_work.clear()
                await self._has_work.wait()
            await self.flush()

    async def flush(self) -> list[DetectionAlert]:
        """Store everything queued so far (one transaction); announce the new alerts.

        A failed transaction is tried again a few times; then its findings are logged and
        counted as a failure of this sink.
        """
        async with self._writing:
            taken, self._pending = self._pending, []
            if not taken:
                return []
            findings = [finding for item in taken for finding in item.findings]
            learned = [address for item in taken for address in item.learned]
            try:
                for attempt in range(1, STORE_ATTEMPTS + 1):
                    try:
                        return await self.store(findings, learned=learned)
                    except (SQLAlchemyError, OSError) as exc:
                        if attempt == STORE_ATTEMPTS:
                            logger.exception("could not store %d detection findings", len(findings))
                            failures = pipeline_for(self.context).metrics.sink_failures
                            failures.labels(SINK_NAME).inc()
                            return []
                        logger.warning("storing detection alerts failed, retrying: %s", exc)
                        await asyncio.sleep(RETRY_SECONDS * attempt)
                return []
            finally:
                self._pending_count -= len(findings) + len(learned)
                self._room.set()
                self._gate.release()

    async def store(
        self, findings: Sequence[Finding], *, learned: Sequence[LearnedAddress] | None = None
    ) -> list[DetectionAlert]:
        if learned is None:
            admin = self.engine.admin_login
            learned = admin.drain_learned() if admin is not None else []
        if not findings and not learned:
            return []
        now = self.context.clock.now()
        async with self.context.sessions() as session:
            created = await record_findings(
                session, findings=findings, now=now, dedup_window=self.dedup_window, actor=ACTOR
            )
            if learned:
                await remember_addresses(session, learned=learned, actor=ACTOR, now=now)
            await session.commit()
        for finding in findings:
            self.metrics.findings.labels(finding.kind.value).inc()
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


@dataclass(frozen=True, slots=True)
class _Found:
    findings: list[Finding]
    learned: list[LearnedAddress]


def _log_report(refused: Sequence[object], *, loaded: int, metrics: EngineMetrics) -> None:
    metrics.rules_loaded.set(loaded)
    metrics.rules_refused.set(len(refused))
    logger.info("detection rules: %d loaded, %d refused", loaded, len(refused))
    for refusal in refused:
        logger.warning("detection rule refused: %s", refusal)
