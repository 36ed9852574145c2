"""The detection worker on the pipeline: events in, alerts stored and announced on the bus."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from sqlalchemy import select

from garrison.config.detection import DetectionSettings, IngestLimits, SyslogUdpSource
from garrison.detection.alerts.models import DetectionAlert, DetectionKnownAddress
from garrison.detection.engine.worker import SINK_NAME, DetectionWorker
from garrison.detection.events import DetectionAlertRaised
from garrison.detection.ingest.builder import EventBuilder
from garrison.detection.pipeline import pipeline_for
from garrison.detection.records import LogEvent, LogSource
from garrison.runtime.context import AppContext
from tests.detection.engine.factories import auth_failure, event, web_request

TIMEOUT = 10.0


@contextlib.asynccontextmanager
async def running(worker: DetectionWorker) -> AsyncIterator[None]:
    started = asyncio.Event()
    task = asyncio.create_task(worker.run(started.set))
    try:
        await asyncio.wait_for(started.wait(), TIMEOUT)
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def admin_login(address: str) -> LogEvent:
    message = f"Accepted password for root from {address} port 4022 ssh2"
    return event(
        {"message": message, "outcome": "success", "user": "root"},
        logsource=LogSource("linux", "sshd"),
    )


async def deliver(context: AppContext, events: list[LogEvent]) -> None:
    pipeline = pipeline_for(context)
    await pipeline.submit(events)
    while pipeline.queue.depth:
        await asyncio.wait_for(pipeline.dispatch_once(), TIMEOUT)


async def test_events_become_stored_and_announced_alerts(context: AppContext) -> None:
    subscription = context.bus.subscribe(DetectionAlertRaised, consumer="test")
    worker = DetectionWorker(context, settings=DetectionSettings())
    async with running(worker):
        assert SINK_NAME in pipeline_for(context).sink_names
        failures = [auth_failure("198.51.100.20", "alice", "sshd") for _ in range(12)]
        await deliver(context, [*failures, web_request("/.git/config")])
        raised = [await asyncio.wait_for(anext(aiter(subscription)), TIMEOUT) for _ in range(2)]
    assert SINK_NAME not in pipeline_for(context).sink_names
    assert sorted(item.rule_title for item in raised) == [
        "Brute force from one address",
        "Probe of a forbidden path",
    ]
    brute = next(item for item in raised if item.rule_title.startswith("Brute"))
    assert brute.rule_author == "Garrison"
    assert brute.rule_license == "LicenseRef-Garrison"
    assert brute.source_address == "198.51.100.20"
    assert brute.matched_fields["count"] == 10
    assert len(brute.events) == 5
    async with context.sessions() as session:
        stored = (await session.scalars(select(DetectionAlert))).all()
    assert {alert.alert_id for alert in stored} == {item.alert_id for item in raised}
    await subscription.close()


async def test_known_admin_addresses_survive_a_restart(context: AppContext) -> None:
    subscription = context.bus.subscribe(DetectionAlertRaised, consumer="test")
    async with running(DetectionWorker(context, settings=DetectionSettings())):
        await deliver(context, [admin_login("192.0.2.44")])
        first = await asyncio.wait_for(anext(aiter(subscription)), TIMEOUT)
    assert first.rule_title == "Administrator login from a new address"
    async with context.sessions() as session:
        known = (await session.scalars(select(DetectionKnownAddress))).all()
    assert [(row.account, row.address) for row in known] == [("root", "192.0.2.44")]
    restarted = DetectionWorker(context, settings=DetectionSettings())
    async with running(restarted):
        await deliver(context, [admin_login("192.0.2.44"), admin_login("198.51.100.45")])
        second = await asyncio.wait_for(anext(aiter(subscription)), TIMEOUT)
    assert second.source_address == "198.51.100.45"
    assert restarted.engine is not None
    assert restarted.engine.counts.findings == 1
    await subscription.close()


async def test_alerts_carry_the_service_of_their_source(context: AppContext) -> None:
    source = SyslogUdpSource.model_validate(
        {"name": "vpn-gw", "type": "syslog_udp", "port": 5514, "service": "vpn"}
    )
    builder = EventBuilder.for_source(source, IngestLimits(), None)
    received = context.clock.now()
    line = (
        "<38>Nov 29 05:59:{second:02d} gw sshd[4242]: Failed password for root "
        "from 198.51.100.20 port {port} ssh2"
    )
    events = [
        event
        for second in range(12)
        for event in builder.from_line(
            line.format(second=second, port=4000 + second), received
        ).events
    ]
    assert {event.service for event in events} == {"vpn"}
    subscription = context.bus.subscribe(DetectionAlertRaised, consumer="test")
    async with running(DetectionWorker(context, settings=DetectionSettings())):
        await deliver(context, events)
        raised = await asyncio.wait_for(anext(aiter(subscription)), TIMEOUT)
    assert (raised.source, raised.service_id) == ("vpn-gw", "vpn")
    assert raised.rule_title == "Brute force from one address"
    await subscription.close()
