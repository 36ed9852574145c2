from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from prometheus_client import CollectorRegistry

from garrison.detection.ingest.metrics import register_ingest_metrics
from garrison.detection.pipeline import DetectionPipeline, EventQueue, pipeline_for
from garrison.detection.records import LogEvent
from garrison.runtime.context import AppContext
from tests.detection.ingest.factories import RecordingSink, log_event, metric


def _pipeline(capacity: int = 10) -> tuple[DetectionPipeline, CollectorRegistry]:
    registry = CollectorRegistry()
    return DetectionPipeline(metrics=register_ingest_metrics(registry), capacity=capacity), registry


async def test_offer_is_all_or_nothing_and_never_waits() -> None:
    queue = EventQueue(3)
    assert queue.offer([log_event("a"), log_event("b")])
    assert not queue.offer([log_event("c"), log_event("d")])
    assert queue.depth == 2
    assert queue.offer([log_event("c")])
    assert queue.room() == 0
    batch = await queue.take(10)
    assert [e.raw for e in batch] == ["a", "b", "c"]


async def test_put_waits_for_room_and_keeps_order() -> None:
    queue = EventQueue(2)
    await queue.put([log_event("1"), log_event("2")])
    putting = asyncio.create_task(queue.put([log_event("3"), log_event("4"), log_event("5")]))
    await asyncio.sleep(0)
    assert not putting.done()
    taken: list[str] = []
    async with asyncio.timeout(5):
        while len(taken) < 5:
            taken += [event.raw for event in await queue.take(1)]
    await putting
    assert taken == ["1", "2", "3", "4", "5"]


async def test_the_queue_is_bounded_by_size_too() -> None:
    big = log_event("x" * 60_000)
    queue = EventQueue(1000, max_bytes=250_000)
    assert queue.offer([big, big])
    assert not queue.offer([big])
    assert queue.room() == 998
    putting = asyncio.create_task(queue.put([big]))
    await asyncio.sleep(0)
    assert not putting.done()
    await queue.take(1)
    async with asyncio.timeout(5):
        await putting
    assert queue.depth == 2
    assert queue.size_bytes == 2 * (2 * 60_000 + 512)


def test_capacity_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        EventQueue(0)


class _BrokenSink:
    async def accept(self, events: Sequence[LogEvent]) -> None:
        raise RuntimeError("rule engine bug")


async def test_every_sink_gets_each_batch_and_a_failing_sink_is_contained() -> None:
    pipeline, registry = _pipeline()
    first, second = RecordingSink(), RecordingSink()
    pipeline.add_sink("first", first)
    pipeline.add_sink("broken", _BrokenSink())
    pipeline.add_sink("second", second)
    runner = asyncio.create_task(pipeline.run())
    try:
        assert pipeline.offer([log_event("x"), log_event("y")])
        await first.wait_for(2)
        await second.wait_for(2)
    finally:
        runner.cancel()
        with pytest.raises(asyncio.CancelledError):
            await runner
    assert metric(registry, "garrison_detection_sink_failures_total", {"sink": "broken"}) == 1
    assert metric(registry, "garrison_detection_dispatched_events_total") == 2
    assert pipeline.sink_names == ("first", "broken", "second")
    pipeline.remove_sink("broken")
    assert list(pipeline.sink_names) == ["first", "second"]


async def test_queue_depth_is_exported() -> None:
    pipeline, registry = _pipeline(capacity=5)
    pipeline.offer([log_event()] * 3)
    assert metric(registry, "garrison_detection_queue_depth") == 3
    assert metric(registry, "garrison_detection_queue_capacity") == 5


async def test_one_pipeline_per_running_garrison(context: AppContext) -> None:
    assert pipeline_for(context) is pipeline_for(context)
