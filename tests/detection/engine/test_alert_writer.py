"""The rule engine's sink: evaluation does not wait for the database, findings never drop."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from prometheus_client import CollectorRegistry
from sqlalchemy import select

from garrison.config.detection import DetectionSettings
from garrison.detection.alerts.models import DetectionAlert
from garrison.detection.engine.builder import build_engine, setup_from_settings
from garrison.detection.engine.metrics import engine_metrics
from garrison.detection.engine.worker import RuleEngineSink
from garrison.detection.events import DetectionAlertRaised
from garrison.detection.pipeline import AlertsFirst, pipeline_for
from garrison.detection.records import LogEvent, LogSource
from garrison.runtime.context import AppContext
from tests.detection.engine.factories import event

TIMEOUT = 10.0


def _admin_login(address: str) -> LogEvent:
    message = f"Accepted password for root from {address} port 4022 ssh2"
    return event(
        {"message": message, "outcome": "success", "user": "root"},
        logsource=LogSource("linux", "sshd"),
    )


def _sink(context: AppContext, *, max_pending: int) -> RuleEngineSink:
    engine = build_engine(setup_from_settings(DetectionSettings(), base_dir=None))
    return RuleEngineSink(
        context,
        engine,
        dedup_window=timedelta(minutes=5),
        metrics=engine_metrics(CollectorRegistry()),
        max_pending=max_pending,
    )


def _waiting(gate: AlertsFirst) -> bool:
    return gate.alerts_waiting


async def _alerts(context: AppContext) -> list[str | None]:
    async with context.sessions() as session:
        rows = (await session.scalars(select(DetectionAlert.source_address))).all()
    return sorted(rows, key=str)


async def test_findings_wait_for_the_writer_and_hold_raw_writes(context: AppContext) -> None:
    sink = _sink(context, max_pending=100)
    gate = pipeline_for(context).alerts_first
    await sink.accept([_admin_login("192.0.2.7")])
    # Evaluated and queued, not stored yet: raw-event writes are held meanwhile.
    assert sink.pending == 2  # the finding and the learned address
    assert _waiting(gate)
    assert await _alerts(context) == []
    subscription = context.bus.subscribe(DetectionAlertRaised, consumer="test")
    created = await sink.flush()
    assert [alert.source_address for alert in created] == ["192.0.2.7"]
    raised = await asyncio.wait_for(anext(aiter(subscription)), TIMEOUT)
    assert raised.source_address == "192.0.2.7"
    assert sink.pending == 0
    assert not _waiting(gate)
    await subscription.close()


async def test_a_full_findings_queue_slows_evaluation_instead_of_dropping(
    context: AppContext,
) -> None:
    sink = _sink(context, max_pending=2)
    await sink.accept([_admin_login("192.0.2.8")])
    second = asyncio.create_task(sink.accept([_admin_login("198.51.100.9")]))
    await asyncio.sleep(0.1)
    assert not second.done()  # waits for room: the pipeline's queue fills behind it
    await sink.flush()
    await asyncio.wait_for(second, TIMEOUT)
    await sink.flush()
    assert await _alerts(context) == ["192.0.2.8", "198.51.100.9"]
