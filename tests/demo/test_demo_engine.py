"""The demo event under the real probe engine: the core switch's loss is UNREACHABLE, not DOWN.

Real clock, real engine, real runners, real lab. The demo event's timing is kept
in proportion but run faster (every interval, timeout and retry divided by
``SPEED_UP``), so that the switch going down and coming back takes seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from garrison.bus.abc import Subscription
from garrison.clock import ManualClock, SystemClock
from garrison.config import EventConfig
from garrison.config.checks import Check
from garrison.demo.lab import CORE_SWITCH, DEFAULT_LAB_PORTS, FaultKind, default_lab
from garrison.probes.events import ServiceStateChanged
from garrison.probes.worker import ProbeWorker
from garrison.runtime.assembly import open_context
from garrison.settings import Settings
from tests.demo.lab_checks import demo_config, retarget

pytestmark = pytest.mark.slow

SPEED_UP = 2.5
WAIT_SECONDS = 60.0


def _faster(check: Check) -> Check:
    update: dict[str, float] = {
        "interval": check.interval / SPEED_UP,
        "timeout": check.timeout / SPEED_UP,
    }
    if check.retry_interval is not None:
        update["retry_interval"] = check.retry_interval / SPEED_UP
    # Not validated again: intervals below the configuration's 1 s minimum are the point.
    return check.model_copy(update=update)


class _ServiceStates:
    def __init__(self) -> None:
        self.moves: dict[str, list[str]] = {}
        self._changed = asyncio.Condition()

    async def follow(self, subscription: Subscription[ServiceStateChanged]) -> None:
        async for event in subscription:
            self.moves.setdefault(event.service_id, []).append(event.current)
            async with self._changed:
                self._changed.notify_all()

    def current(self, service_id: str) -> str | None:
        moves = self.moves.get(service_id)
        return moves[-1] if moves else None

    async def wait_until(self, services: set[str], state: str) -> None:
        async with asyncio.timeout(WAIT_SECONDS), self._changed:
            await self._changed.wait_for(
                lambda: all(self.current(service) == state for service in services)
            )


@contextlib.asynccontextmanager
async def _running(settings: Settings, config: EventConfig) -> AsyncIterator[_ServiceStates]:
    async with open_context(settings, clock=SystemClock()) as context:
        states = _ServiceStates()
        subscription = context.bus.subscribe(ServiceStateChanged, consumer="test")
        follower = asyncio.create_task(states.follow(subscription))
        worker = ProbeWorker(context, config=config)
        started = asyncio.Event()
        engine = asyncio.create_task(worker.run(started.set))
        try:
            async with asyncio.timeout(WAIT_SECONDS):
                await started.wait()
            yield states
        finally:
            engine.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await engine
            follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await follower
            await subscription.close()


async def test_the_core_switch_down_shows_its_dependents_unreachable_and_never_down(
    settings: Settings, tmp_path: Path
) -> None:
    ca_file = tmp_path / "ca.pem"
    lab = default_lab(
        ManualClock(datetime.now(UTC)),
        ports=dict.fromkeys(DEFAULT_LAB_PORTS, 0),
        schedule=(),
        ca_file=ca_file,
    )
    async with lab:
        config = retarget(demo_config(ca_file), lab)
        config = config.model_copy(update={"checks": tuple(map(_faster, config.checks))})
        dependents = {s.id for s in config.services if "core-switch" in s.depends_on}
        async with _running(settings, config) as states:
            await states.wait_until(dependents | {"core-switch"}, "up")

            await lab.set_fault(CORE_SWITCH, FaultKind.DOWN)
            await states.wait_until({"core-switch"}, "down")
            await states.wait_until(dependents, "unreachable")
            await lab.set_fault(CORE_SWITCH, None)
            await states.wait_until(dependents | {"core-switch"}, "up")

    assert len(dependents) >= 3
    for service_id in dependents:
        assert "down" not in states.moves[service_id], (service_id, states.moves[service_id])
