"""The demo lab: owns its targets, starts and stops them in order, and plays the fault schedule."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping, Sequence
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

    ``behind`` maps a target (a switch, a link) to the targets reached only through
    it: while it is DOWN, or itself cut off, they are cut off too and HANG, as
    packets sent to them vanish; their own fault comes back when it recovers.
    """

    def __init__(
        self,
        targets: Sequence[LabTarget],
        *,
        clock: Clock,
        schedule: Iterable[FaultWindow] = (),
        behind: Mapping[str, Iterable[str]] | None = None,
    ) -> None:
        self._targets: dict[str, LabTarget] = {}
        for target in targets:
            if target.name in self._targets:
                raise LabError(f"two lab targets are named {target.name!r}")
            self._targets[target.name] = target
        self._schedule = FaultSchedule(schedule)
        for window in self._schedule.windows:
            self._check_fault(window.target, window.fault)
        self._upstreams = self._read_topology(behind or {})
        self._cut_off_order = _dependency_order(self._upstreams)
        self._clock = clock
        self._wanted: dict[str, FaultKind | None] = {}
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

    def target(self, name: str) -> LabTarget:
        """The target named ``name``; UnknownTargetError if there is none."""
        return self._target(name)

    def port(self, target: str) -> int:
        return self._target(target).status().port

    async def wait_for_fault(self, target: str, fault: FaultKind | None) -> None:
        """Return once ``target``'s fault is ``fault``; bound it with a timeout."""
        watched = self._target(target)
        async with self._changed:
            await self._changed.wait_for(lambda: watched.fault is fault)

    def cut_off_by(self, target: str) -> str | None:
        """The upstream target that cuts ``target`` off now, or None if it is reachable."""
        self._target(target)
        for upstream in self._upstreams.get(target, ()):
            if self._targets[upstream].fault is FaultKind.DOWN or self.cut_off_by(upstream):
                return upstream
        return None

    def _read_topology(self, behind: Mapping[str, Iterable[str]]) -> dict[str, tuple[str, ...]]:
        """Each target's upstreams, from ``behind`` (upstream -> targets behind it)."""
        upstreams: dict[str, list[str]] = {}
        for upstream, dependents in behind.items():
            self._target(upstream)
            for dependent in dependents:
                self._check_fault(dependent, FaultKind.HANG)
                if dependent == upstream:
                    raise LabError(f"lab target {upstream!r} cannot be behind itself")
                upstreams.setdefault(dependent, []).append(upstream)
        return {name: tuple(names) for name, names in upstreams.items()}

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
        previous = self._wanted.get(name)
        self._wanted[name] = fault
        try:
            await self._settle(target)
            await self._settle_cut_off(changed=name)
        finally:
            async with self._changed:
                self._changed.notify_all()
        if fault is not None:
            logger.info("demo lab: fault %s on %s started (%s)", fault, name, source)
        elif previous is not None:
            logger.info("demo lab: fault %s on %s ended (%s)", previous, name, source)

    async def _settle(self, target: LabTarget) -> None:
        """Give ``target`` the fault it should have: HANG while cut off, else its own."""
        upstream = self.cut_off_by(target.name)
        fault = FaultKind.HANG if upstream is not None else self._wanted.get(target.name)
        if target.fault is fault:
            return
        was_cut_off = target.fault is FaultKind.HANG and self._wanted.get(target.name) is None
        await target.set_fault(fault)
        if upstream is not None:
            logger.info("demo lab: %s cut off behind %s", target.name, upstream)
        elif was_cut_off:
            logger.info("demo lab: %s reachable again", target.name)

    async def _settle_cut_off(self, *, changed: str) -> None:
        """Settle every target behind another, upstream first, after ``changed`` changed."""
        for name in self._cut_off_order:
            if name == changed:
                continue
            try:
                await self._settle(self._targets[name])
            except LabError:
                # One target failing to change must not keep the others in the wrong state.
                logger.exception("demo lab: %s could not follow its upstream", name)


def _dependency_order(upstreams: Mapping[str, tuple[str, ...]]) -> tuple[str, ...]:
    """Targets that are behind another, each after its upstreams; refuses cycles."""
    order: list[str] = []
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in path:
            raise LabError(f"lab targets are behind each other: {' -> '.join((*path, name))}")
        if name in done:
            return
        for upstream in upstreams.get(name, ()):
            visit(upstream, (*path, name))
        done.add(name)
        if name in upstreams:
            order.append(name)

    for name in upstreams:
        visit(name, ())
    return tuple(order)
