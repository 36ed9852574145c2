"""Events, settings and a recording sink for the ingestion tests."""

from __future__ import annotations

import asyncio
import typing
from collections.abc import Sequence
from datetime import UTC, datetime

from garrison.config.detection import DetectionSettings
from garrison.detection.records import LogEvent, LogSource

WAIT_SECONDS = 10.0


def log_event(message: str = "hello", *, source: str = "test", kind: str = "log") -> LogEvent:
    return LogEvent(
        source=source,
        received_at=datetime(2026, 6, 1, 8, 0, tzinfo=UTC),
        logsource=LogSource(product="linux"),
        fields={"message": message},
        raw=message,
        kind=kind,
    )


def detection_settings(*sources: dict[str, object], **extra: object) -> DetectionSettings:
    return DetectionSettings.model_validate({"sources": list(sources), **extra})


class RecordingSink:
    """An in-memory sink: keeps what it gets and lets a test wait for a count."""

    def __init__(self) -> None:
        self.events: list[LogEvent] = []
        self._changed = asyncio.Event()

    async def accept(self, events: Sequence[LogEvent]) -> None:
        self.events.extend(events)
        self._changed.set()

    async def wait_for(self, count: int, *, kind: str | None = None) -> list[LogEvent]:
        async with asyncio.timeout(WAIT_SECONDS):
            while True:
                matching = [e for e in self.events if kind is None or e.kind == kind]
                if len(matching) >= count:
                    return matching
                self._changed.clear()
                await self._changed.wait()


def metric(context_registry: object, name: str, labels: dict[str, str] | None = None) -> float:
    from prometheus_client import CollectorRegistry  # noqa: PLC0415

    assert isinstance(context_registry, CollectorRegistry)
    value = context_registry.get_sample_value(name, labels or {})
    return 0.0 if value is None else value


async def eventually(predicate: typing.Callable[[], bool], *, what: str) -> None:
    """Wait until ``predicate()`` holds (for effects no event announces, e.g. a socket read)."""
    try:
        async with asyncio.timeout(WAIT_SECONDS):
            # Socket reads and datagrams announce nothing: poll briefly, with a deadline.
            while not predicate():  # noqa: ASYNC110
                await asyncio.sleep(0.01)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None
