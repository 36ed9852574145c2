"""The UDP intake's bounds and the event store's backlog: every datagram is counted or its
loss is, by reason; raw storage gives way to alerts and loses its oldest events first."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from prometheus_client import CollectorRegistry

from garrison.config.detection import IngestLimits
from garrison.detection.ingest import service
from garrison.detection.ingest.builder import EventBuilder
from garrison.detection.ingest.metrics import register_ingest_metrics
from garrison.detection.ingest.store import EventStore
from garrison.detection.ingest.syslog_udp import UdpListener, open_udp_listener
from garrison.detection.pipeline import AlertsFirst, DetectionPipeline
from garrison.detection.records import LogSource
from garrison.runtime.context import AppContext
from tests.detection.ingest.factories import eventually, log_event, metric

HOST = "127.0.0.1"
SOURCE = "udp-test"


def _now() -> datetime:
    return datetime(2026, 6, 1, 8, 0, 5, tzinfo=UTC)


def _pipeline(capacity: int = 100_000) -> tuple[DetectionPipeline, CollectorRegistry]:
    registry = CollectorRegistry()
    return DetectionPipeline(metrics=register_ingest_metrics(registry), capacity=capacity), registry


def _builder(pipeline: DetectionPipeline) -> EventBuilder:
    return EventBuilder(
        source=SOURCE,
        parser="auto",
        tag=LogSource(),
        zone=UTC,
        limits=IngestLimits(),
        metrics=pipeline.metrics,
    )


@contextlib.asynccontextmanager
async def _listening(
    pipeline: DetectionPipeline, *, capacity: int = 20_000
) -> AsyncIterator[UdpListener]:
    listener = await open_udp_listener(
        bind=HOST,
        port=0,
        builder=_builder(pipeline),
        pipeline=pipeline,
        now=_now,
        capacity=capacity,
    )
    try:
        yield listener
    finally:
        listener.close()


def _send(address: tuple[str, int], count: int) -> None:
    """Sent while the loop cannot read: every datagram waits in the kernel's buffer."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        for number in range(count):
            client.sendto(b"<13>Jun  1 08:00:00 gw app: line %d" % number, address)


def _count(registry: CollectorRegistry, name: str, **labels: str) -> float:
    return metric(registry, name, {"source": SOURCE, **labels})


async def test_a_burst_is_parsed_in_batches_with_one_arrival_time() -> None:
    pipeline, registry = _pipeline()
    async with _listening(pipeline) as listener:
        _send(listener.get_extra_info("sockname")[:2], 300)
        await eventually(lambda: pipeline.queue.depth == 300, what="300 events queued")
    events = await pipeline.queue.take(1000)
    assert [event.fields["message"] for event in events] == [f"line {n}" for n in range(300)]
    assert {event.received_at for event in events} == {_now()}
    assert _count(registry, "garrison_ingest_events_total") == 300
    assert listener.held == 0


async def test_a_full_intake_buffer_keeps_the_oldest_and_counts_the_rest() -> None:
    pipeline, registry = _pipeline()
    async with _listening(pipeline, capacity=4) as listener:
        _send(listener.get_extra_info("sockname")[:2], 10)
        await eventually(
            lambda: _count(registry, "garrison_ingest_dropped_total", reason="buffer_full") == 6,
            what="6 drops",
        )
        await eventually(lambda: pipeline.queue.depth == 4, what="4 events queued")
    events = await pipeline.queue.take(10)
    assert [event.fields["message"] for event in events] == [f"line {n}" for n in range(4)]
    assert _count(registry, "garrison_ingest_events_total") == 4


async def test_a_full_pipeline_drops_without_parsing_and_counts() -> None:
    pipeline, registry = _pipeline(capacity=10)
    async with _listening(pipeline) as listener:
        _send(listener.get_extra_info("sockname")[:2], 25)
        await eventually(
            lambda: _count(registry, "garrison_ingest_dropped_total", reason="queue_full") == 15,
            what="15 drops",
        )
    assert pipeline.queue.depth == 10
    assert _count(registry, "garrison_ingest_events_total") == 10


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SO_RXQ_OVFL is Linux's")
async def test_datagrams_the_kernel_dropped_are_counted() -> None:
    pipeline, registry = _pipeline()
    async with _listening(pipeline) as listener:
        server = listener.get_extra_info("socket")
        server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a few datagrams
        sent = 400
        _send(listener.get_extra_info("sockname")[:2], sent)
        # One more, sent once the first ones are read: it carries the final drop count.
        await eventually(lambda: pipeline.queue.depth > 0, what="the first events")
        await asyncio.sleep(0.05)
        _send(listener.get_extra_info("sockname")[:2], 1)
        await eventually(
            lambda: (
                _count(registry, "garrison_ingest_events_total")
                + _count(registry, "garrison_ingest_dropped_total", reason="socket_buffer")
                == sent + 1
            ),
            what="every datagram counted or counted as dropped",
        )
    assert _count(registry, "garrison_ingest_dropped_total", reason="socket_buffer") > 0


async def test_the_store_loses_its_oldest_events_when_behind() -> None:
    registry = CollectorRegistry()

    async def never(*_args: object) -> None:
        raise AssertionError("no session needed")

    store = EventStore(sessions=never, metrics=register_ingest_metrics(registry), capacity=3)  # type: ignore[arg-type]
    await store.accept([log_event(f"line {n}") for n in range(5)])
    await store.accept([log_event("line 5")])
    assert store.buffered == 3
    dropped = registry.get_sample_value(
        "garrison_log_events_store_dropped_total", {"reason": "buffer_full"}
    )
    assert dropped == 3
    kept = [store._buffer[n].fields["message"] for n in range(3)]
    assert kept == ["line 3", "line 4", "line 5"]


async def test_the_store_waits_while_alerts_wait(context: AppContext) -> None:
    gate = AlertsFirst()
    store = EventStore(
        sessions=context.sessions,
        metrics=register_ingest_metrics(CollectorRegistry()),
        capacity=100,
        linger=0.0,
        alerts_first=gate,
    )
    gate.hold()
    task = asyncio.create_task(store.run())
    try:
        await store.accept([log_event(f"line {n}") for n in range(3)])
        await asyncio.sleep(0.2)
        async with context.sessions() as session:
            query = service.EventQuery(limit=10)
            assert await service.search_events(session, query=query) == []
        gate.release()
        async with asyncio.timeout(10):
            await store.wait_idle()
        async with context.sessions() as session:
            rows = await service.search_events(session, query=service.EventQuery(limit=10))
        assert len(rows) == 3
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_alerts_that_keep_coming_do_not_starve_the_store(context: AppContext) -> None:
    gate = AlertsFirst()
    store = EventStore(
        sessions=context.sessions,
        metrics=register_ingest_metrics(CollectorRegistry()),
        capacity=100,
        linger=0.0,
        alerts_first=gate,
        max_alert_wait=0.3,
    )
    gate.hold()  # never released: alerts wait all along
    task = asyncio.create_task(store.run())
    try:
        await store.accept([log_event(f"line {n}") for n in range(3)])
        async with asyncio.timeout(10):
            await store.wait_idle()
        async with context.sessions() as session:
            rows = await service.search_events(session, query=service.EventQuery(limit=10))
        assert len(rows) == 3
        assert gate.alerts_waiting
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
