"""Configurations, results, a scripted fake runner and a running engine for the engine tests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, TypeVar

from garrison.bus.events import DomainEvent
from garrison.clock import ManualClock
from garrison.config import EventConfig
from garrison.config.checks import Check
from garrison.probes.events import CheckStateChanged, ServiceStateChanged
from garrison.probes.metrics import ProbeMetrics
from garrison.probes.results import CheckResult, RunContext
from garrison.probes.worker import ProbeWorker
from garrison.runtime.context import AppContext

WAIT_SECONDS = 5.0
E = TypeVar("E", bound=DomainEvent)


def service(
    service_id: str,
    *,
    depends_on: Sequence[str] = (),
    group: str | None = None,
    role: Literal["primary", "backup"] | None = None,
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "id": service_id,
        "name": service_id.title(),
        "kind": "other",
        "criticality": "critical",
        "unit": "comms",
        "depends_on": list(depends_on),
    }
    if group is not None:
        document["redundancy"] = {"group": group, "role": role or "primary"}
    return document


def http_check(check_id: str, *, service: str | None = None, **options: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "id": check_id,
        "type": "http",
        "url": f"http://127.0.0.1:9/{check_id}",
        "interval": 10,
        "timeout": 5,
    }
    if service is not None:
        document["service"] = service
    document.update(options)
    return document


def heartbeat_check(check_id: str, *, service: str | None = None, **options: Any) -> dict[str, Any]:
    document: dict[str, Any] = {"id": check_id, "type": "heartbeat", "interval": 60, "timeout": 1}
    if service is not None:
        document["service"] = service
    document.update(options)
    return document


def make_config(
    *,
    services: Sequence[dict[str, Any]] = (),
    checks: Sequence[dict[str, Any]] = (),
    maintenance: Sequence[dict[str, Any]] = (),
    probes: dict[str, Any] | None = None,
    timezone: str = "Asia/Ho_Chi_Minh",
) -> EventConfig:
    return EventConfig.model_validate(
        {
            "event": {
                "id": "summit",
                "name": "Summit",
                "timezone": timezone,
                "start": "2026-05-01T08:00:00",
                "end": "2026-07-01T18:00:00",
            },
            "organisation": {"units": [{"id": "comms", "name": "Communications"}]},
            "services": list(services),
            "checks": list(checks),
            "maintenance": list(maintenance),
            "probes": probes or {},
        }
    )


def result(
    ok: bool,
    at: datetime,
    *,
    location: str = "local",
    reason: str | None = None,
    latency_ms: float | None = 10.0,
    details: dict[str, Any] | None = None,
) -> CheckResult:
    return CheckResult(
        ok=ok,
        reason=reason if reason is not None else ("" if ok else "scripted failure"),
        started_at=at,
        location=location,
        latency_ms=latency_ms,
        details=details or {},
    )


Outcome = bool | Literal["hang", "raise", "stubborn"]


@dataclass
class ScriptedRunner:
    """A fake runner — nothing is probed: each check plays a script of outcomes.

    ``True``/``False`` pass or fail at once; ``"hang"`` never answers (until
    cancelled); ``"stubborn"`` ignores cancellation until ``release`` is set;
    ``"raise"`` raises, like a buggy runner. After the script, ``default`` repeats.
    """

    default: Outcome = True
    scripts: dict[str, list[Outcome]] = field(default_factory=dict)
    defaults: dict[str, Outcome] = field(default_factory=dict)
    calls: list[tuple[str, RunContext]] = field(default_factory=list)
    details: dict[str, dict[str, Any]] = field(default_factory=dict)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    _called: asyncio.Condition = field(default_factory=asyncio.Condition)

    def script(self, check_id: str, *outcomes: Outcome, then: Outcome | None = None) -> None:
        self.scripts[check_id] = list(outcomes)
        if then is not None:
            self.defaults[check_id] = then

    def calls_of(self, check_id: str) -> list[RunContext]:
        return [run for called, run in self.calls if called == check_id]

    async def wait_for_calls(self, check_id: str, count: int) -> list[RunContext]:
        async with asyncio.timeout(WAIT_SECONDS), self._called:
            await self._called.wait_for(lambda: len(self.calls_of(check_id)) >= count)
        return self.calls_of(check_id)

    async def __call__(self, check: Check, *, run: RunContext) -> CheckResult:
        self.calls.append((check.id, run))
        async with self._called:
            self._called.notify_all()
        script = self.scripts.get(check.id, [])
        outcome = script.pop(0) if script else self.defaults.get(check.id, self.default)
        if outcome == "hang":
            await asyncio.Event().wait()
        if outcome == "stubborn":
            while not self.release.is_set():
                with contextlib.suppress(asyncio.CancelledError):
                    await self.release.wait()
        if outcome == "raise":
            raise RuntimeError("scripted runner bug")
        return result(
            outcome is True or outcome == "stubborn",
            run.started_at,
            location=run.location,
            latency_ms=12.5,
            details=self.details.get(check.id),
        )


class EventRecorder:
    """Every state change published on the bus, in order."""

    def __init__(self, context: AppContext) -> None:
        self.checks: list[CheckStateChanged] = []
        self.services: list[ServiceStateChanged] = []
        self._changed = asyncio.Condition()
        self._subscriptions = [
            context.bus.subscribe(CheckStateChanged, consumer="test-checks"),
            context.bus.subscribe(ServiceStateChanged, consumer="test-services"),
        ]
        self._tasks = [
            asyncio.create_task(self._follow(self._subscriptions[0], self.checks)),
            asyncio.create_task(self._follow(self._subscriptions[1], self.services)),
        ]

    async def _follow(self, subscription: Any, into: list[Any]) -> None:
        async for event in subscription:
            into.append(event)
            async with self._changed:
                self._changed.notify_all()

    async def wait_for(self, predicate: Callable[[], bool]) -> None:
        async with asyncio.timeout(WAIT_SECONDS), self._changed:
            await self._changed.wait_for(predicate)

    def check_moves(self, check_id: str) -> list[tuple[str, str]]:
        return [(e.previous, e.current) for e in self.checks if e.check_id == check_id]

    def service_moves(self, service_id: str) -> list[tuple[str, str]]:
        return [(e.previous, e.current) for e in self.services if e.service_id == service_id]

    async def close(self) -> None:
        for subscription in self._subscriptions:
            await subscription.close()
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


@contextlib.asynccontextmanager
async def running_engine(
    context: AppContext,
    config: EventConfig,
    runner: ScriptedRunner,
    *,
    metrics: ProbeMetrics | None = None,
) -> AsyncIterator[ProbeWorker]:
    worker = ProbeWorker(context, config=config, runner=runner, metrics=metrics)
    started = asyncio.Event()
    task = asyncio.create_task(worker.run(started.set))
    async with asyncio.timeout(WAIT_SECONDS):
        await started.wait()
    try:
        yield worker
    finally:
        task.cancel()
        async with asyncio.timeout(WAIT_SECONDS):
            with contextlib.suppress(asyncio.CancelledError):
                await task


def clock_of(context: AppContext) -> ManualClock:
    clock = context.clock
    assert isinstance(clock, ManualClock)
    return clock


async def advance_to(clock: ManualClock, when: datetime) -> None:
    clock.advance((when - clock.now()).total_seconds())
    await asyncio.sleep(0)
