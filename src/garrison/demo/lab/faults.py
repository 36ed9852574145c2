"""The scripted fault schedule: which target misbehaves how, at which offset from the lab's start.

Pure arithmetic on offsets; :class:`garrison.demo.lab.lab.DemoLab` turns it into
action with its clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from garrison.demo.lab.errors import InvalidScheduleError
from garrison.demo.lab.targets import FaultKind

_ZERO = timedelta(0)


@dataclass(frozen=True, slots=True)
class FaultWindow:
    """``fault`` on ``target`` from ``start_offset`` for ``duration``, again every ``period``."""

    target: str
    fault: FaultKind
    start_offset: timedelta
    duration: timedelta
    period: timedelta | None = None

    def __post_init__(self) -> None:
        if self.start_offset < _ZERO:
            raise InvalidScheduleError(f"fault window on {self.target!r} starts before the lab")
        if self.duration <= _ZERO:
            raise InvalidScheduleError(f"fault window on {self.target!r} has no duration")
        if self.period is not None and self.period <= self.duration:
            raise InvalidScheduleError(
                f"fault window on {self.target!r} repeats before it ends: "
                "its period must be longer than its duration"
            )

    def occurrence_start(self, elapsed: timedelta) -> timedelta | None:
        """When the occurrence active at ``elapsed`` began, or None if none is active."""
        if elapsed < self.start_offset:
            return None
        start = self._latest_start(elapsed)
        return start if elapsed < start + self.duration else None

    def next_change_after(self, elapsed: timedelta) -> timedelta | None:
        """The first offset after ``elapsed`` at which the window opens or closes."""
        if elapsed < self.start_offset:
            return self.start_offset
        start = self._latest_start(elapsed)
        end = start + self.duration
        if elapsed < end:
            return end
        return None if self.period is None else start + self.period

    def _latest_start(self, elapsed: timedelta) -> timedelta:
        if self.period is None:
            return self.start_offset
        return self.start_offset + self.period * ((elapsed - self.start_offset) // self.period)


class FaultSchedule:
    def __init__(self, windows: Iterable[FaultWindow] = ()) -> None:
        self._windows = tuple(windows)

    @property
    def windows(self) -> tuple[FaultWindow, ...]:
        return self._windows

    @property
    def targets(self) -> tuple[str, ...]:
        """Targets named by some window, in order of first mention."""
        return tuple(dict.fromkeys(window.target for window in self._windows))

    def faults_at(self, elapsed: timedelta) -> dict[str, FaultKind]:
        """The scheduled fault of each target faulted at ``elapsed``.

        When windows on one target overlap, the one opened last wins; on a tie,
        the one listed last.
        """
        latest: dict[str, tuple[timedelta, FaultKind]] = {}
        for window in self._windows:
            start = window.occurrence_start(elapsed)
            if start is None:
                continue
            current = latest.get(window.target)
            if current is None or start >= current[0]:
                latest[window.target] = (start, window.fault)
        return {target: fault for target, (_, fault) in latest.items()}

    def next_change_after(self, elapsed: timedelta) -> timedelta | None:
        """The first offset after ``elapsed`` at which any window opens or closes."""
        changes = [window.next_change_after(elapsed) for window in self._windows]
        return min((change for change in changes if change is not None), default=None)
