from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime

import pytest

from garrison.bus import DomainEvent, InProcessBus
from garrison.bus.events import decode_event, registered_topics

AT = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class SampleStateChanged(DomainEvent):
    topic = "garrison.test.sample_state_changed"
    check_id: str
    state: str
    evidence: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class OtherHappened(DomainEvent):
    topic = "garrison.test.other_happened"
    detail: str


def test_event_round_trips_through_json() -> None:
    event = SampleStateChanged(
        occurred_at=AT, check_id="portal-http", state="down", evidence=("a", "b")
    )
    copy = decode_event(event.to_json())
    assert isinstance(copy, SampleStateChanged)
    assert copy.occurred_at == AT
    assert copy.check_id == "portal-http"
    assert list(copy.evidence) == ["a", "b"]
    assert registered_topics()[SampleStateChanged.topic] is SampleStateChanged


def test_unknown_topic_is_refused() -> None:
    with pytest.raises(LookupError, match="no event type"):
        decode_event(b'{"topic": "garrison.nope", "data": {}}')


async def test_subscribers_receive_only_their_type_in_order() -> None:
    bus = InProcessBus()
    states = bus.subscribe(SampleStateChanged, consumer="incidents")
    others = bus.subscribe(OtherHappened, consumer="reports")
    for index in range(5):
        await bus.publish(SampleStateChanged(occurred_at=AT, check_id=f"c{index}", state="down"))
    await bus.publish(OtherHappened(occurred_at=AT, detail="x"))
    received: list[str] = []
    async for event in states:
        received.append(event.check_id)
        if len(received) == 5:
            break
    assert received == ["c0", "c1", "c2", "c3", "c4"]
    other = await asyncio.wait_for(anext(aiter(others)), timeout=1)
    assert other.detail == "x"
    await bus.close()


async def test_full_queue_applies_backpressure_instead_of_dropping() -> None:
    bus = InProcessBus(queue_size=2)
    subscription = bus.subscribe(OtherHappened, consumer="slow")
    await bus.publish(OtherHappened(occurred_at=AT, detail="1"))
    await bus.publish(OtherHappened(occurred_at=AT, detail="2"))
    blocked = asyncio.create_task(bus.publish(OtherHappened(occurred_at=AT, detail="3")))
    await asyncio.sleep(0)
    assert not blocked.done()
    iterator = aiter(subscription)
    assert (await anext(iterator)).detail == "1"
    await asyncio.wait_for(blocked, timeout=1)
    assert (await anext(iterator)).detail == "2"
    assert (await anext(iterator)).detail == "3"
    await bus.close()


async def test_closed_subscription_ends_iteration_and_stops_receiving() -> None:
    bus = InProcessBus()
    subscription = bus.subscribe(OtherHappened, consumer="gone")
    reader = asyncio.create_task(_collect(subscription))
    await asyncio.sleep(0)
    await subscription.close()
    assert await asyncio.wait_for(reader, timeout=1) == []
    await bus.publish(OtherHappened(occurred_at=AT, detail="late"))
    assert bus.published == 1


async def _collect(subscription: object) -> list[str]:
    seen: list[str] = []
    async for event in subscription:  # type: ignore[attr-defined]
        seen.append(event.detail)
    return seen


async def test_event_that_cannot_cross_the_wire_fails_at_publish() -> None:
    @dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
    class CarriesObject(DomainEvent):
        topic = "garrison.test.carries_object"
        payload: object

    bus = InProcessBus()
    with pytest.raises(TypeError, match="cannot put"):
        await bus.publish(CarriesObject(occurred_at=AT, payload=object()))
