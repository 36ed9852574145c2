"""The demo lab: owns its targets, starts and stops them in order, and plays the fault schedule."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from contextlib import AsyncExitStack
from datetime import datetime, timedelta
from types import TracebackType
from typing import Self

from garrison.clock import Clock
from garrison.demo.lab.errors import LabError, UnknownTargetError, UnsupportedFaultError
from garrison.demo.lab.faults import FaultSchedule, FaultWindow
from garrison.demo.lab.targets import FaultKind, LabTarget, TargetStatus

logger = logging.getLogger(__name__)


class DemoLab:
    """Stand-ins for the event's systems, on 127.0.0.1, that fail on a script.

    Use as ``async with lab:``; every listener is up when the block is entered and
    every listener, connection and task is gone when it is left. A fault set by
    hand holds until the schedule next changes the state of that target.
    """

    def __init__(
        self,
        targets: Sequence[LabTarget],
        *,
        clock: Clock,
        schedule: Iterable[FaultWindow] = (),
    ) -> None:
        self._targets: dict[str, LabTarget] = {}
        for target in targets:
            if target.name in self._targets:
                raise LabError(f"two lab targets are named {target.name!r}")
            self._targets[target.name] = target
        self._schedule = FaultSchedule(schedule)
        for window in self._schedule.windows:
            self._check_fault(window.target, window.fault)
        self._clock = clock
        self._scheduled: dict[str, FaultKind | None] = {}
        self._changed = asyncio.Condition()
        self._exit_stack: AsyncExitStack | None = None
        self._runner: asyncio.Task[None] | None = None
        self._started_at: datetime | None = None

    @property
    def schedule(self) -> FaultSchedule:
        return self._schedule

    @property
    def started_at(self) -> datetime | None:
        """When the running lab started; schedule offsets count from here."""
        return self._started_at

    async def __aenter__(self) -> Self:
        if self._exit_stack is not None:
            raise LabError("the demo lab is already running")
        async with AsyncExitStack() as stack:
            for target in self._targets.values():
                await target.start()
                stack.push_async_callback(target.stop)
            self._started_at = self._clock.now()
            self._scheduled = {}
            await self._follow_schedule()
            task_group = await stack.enter_async_context(asyncio.TaskGroup())
            if self._schedule.windows:
                self._runner = task_group.create_task(
                    self._run_schedule(), name="demo-lab-schedule"
                )
            self._exit_stack = stack.pop_all()
        logger.info("demo lab: %d targets up", len(self._targets))
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool | None:
        stack, self._exit_stack = self._exit_stack, None
        if stack is None:
            return None
        if self._runner is not None:
            self._runner.cancel()
            self._runner = None
        try:
            return await stack.__aexit__(exc_type, exc, traceback)
        finally:
            self._started_at = None
            logger.info("demo lab: stopped")

    async def set_fault(self, target: str, fault: FaultKind | None) -> None:
        """Make ``target`` misbehave as ``fault`` now, or behave again when ``None``."""
        self._check_fault(target, fault)
        await self._change_fault(target, fault, source="manual")

    def status(self) -> tuple[TargetStatus, ...]:
        """Every target in start order, with its port and current fault."""
        return tuple(target.status() for target in self._targets.values())

    def port(self, target: str) -> int:
        return self._target(target).status().port

    async def wait_for_fault(self, target: str, fault: FaultKind | None) -> None:
        """Return once ``target``'s fault is ``fault``; bound it with a timeout."""
        watched = self._target(target)
        async with self._changed:
            await self._changed.wait_for(lambda: watched.fault is fault)

    def _target(self, name: str) -> LabTarget:
        try:
            return self._targets[name]
        except KeyError:
            raise UnknownTargetError(f"the demo lab has no target {name!r}") from None

    def _check_fault(self, name: str, fault: FaultKind | None) -> None:
        target = self._target(name)
        if fault is not None and fault not in target.supported_faults:
            raise UnsupportedFaultError(f"lab target {name!r} cannot simulate {fault.value!r}")

    async def _run_schedule(self) -> None:
        while (elapsed := self._elapsed()) is not None:
            upcoming = self._schedule.next_change_after(elapsed)
            if upcoming is None:
                return
            await self._clock.sleep((upcoming - elapsed).total_seconds())
            await self._follow_schedule()

    async def _follow_schedule(self) -> None:
        """Apply the scheduled state of every target whose scheduled state changed."""
        elapsed = self._elapsed()
        if elapsed is None:
            return
        wanted = self._schedule.faults_at(elapsed)
        for name in self._schedule.targets:
            fault = wanted.get(name)
            if self._scheduled.get(name) is fault:
                continue
            self._scheduled[name] = fault
            try:
                await self._change_fault(name, fault, source="schedule")
            except LabError:
                # One target failing to change must not stop the script for the others.
                logger.exception("demo lab: scheduled fault on %s could not be applied", name)

    def _elapsed(self) -> timedelta | None:
        if self._started_at is None:
            return None
        return self._clock.now() - self._started_at

    async def _change_fault(self, name: str, fault: FaultKind | None, *, source: str) -> None:
        target = self._target(name)
        previous = target.fault
        try:
            await target.set_fault(fault)
        finally:
            async with self._changed:
                self._changed.notify_all()
        if fault is not None:
            logger.info("demo lab: fault %s on %s started (%s)", fault, name, source)
        elif previous is not None:
            logger.info("demo lab: fault %s on %s ended (%s)", previous, name, source)
