"""Who is on duty: pure functions of a :class:`~garrison.duty.plan.DutyPlan` and an instant.

An :class:`OnDuty` is one stretch of time during which one person holds a post for
one reason: a shift of a layer (``rotation`` or, after an exchange, ``swap``) or an
``override``. A shift interrupted by a higher layer or an override yields one
stretch per uninterrupted part. Stretch bounds depend only on the plan, never on
when one asks: check-ins and handovers are keyed by them.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from garrison.duty.plan import DutyPlan, OverridePlan, PostPlan
from garrison.duty.rotation import LayerPlan

Source = Literal["rotation", "swap", "override"]

NEXT_SEARCH_STEP = timedelta(days=2)
NEXT_SEARCH_HORIZON = timedelta(days=62)
_TINY = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class OnDuty:
    post: str
    person: str
    start: datetime
    end: datetime
    source: Source
    layer: str | None
    """The layer's name; None for an override."""
    shift_start: datetime
    shift_end: datetime
    """The whole shift (or override) this stretch belongs to."""


@dataclass(frozen=True, slots=True)
class _Holder:
    person: str
    source: Source
    layer: str | None
    shift_start: datetime
    shift_end: datetime


def who_is_on_duty(plan: DutyPlan, post: str, at: datetime) -> OnDuty | None:
    """The person holding ``post`` at ``at`` and the stretch they hold it for; None if nobody.

    Unknown posts have nobody on duty.
    """
    post_plan = plan.posts.get(post)
    if post_plan is None:
        return None
    holder = _holder_at(post_plan, at)
    if holder is None:
        return None
    if holder.source == "override":
        # Within an override only later overrides can cut it: the layers below do not matter.
        post_plan = replace(post_plan, layers=())
    for stretch in _stretches(post_plan, holder.shift_start, holder.shift_end):
        if stretch.start <= at < stretch.end:
            return stretch
    raise AssertionError("the holder's own shift must contain the instant")  # pragma: no cover


def next_on_duty(plan: DutyPlan, post: str, at: datetime) -> OnDuty | None:
    """The next stretch of ``post`` after the one under way at ``at`` (or after ``at`` when
    nobody is on duty), looking ahead at most :data:`NEXT_SEARCH_HORIZON`."""
    post_plan = plan.posts.get(post)
    if post_plan is None:
        return None
    current = who_is_on_duty(plan, post, at)
    low = at if current is None else current.end
    horizon = low + NEXT_SEARCH_HORIZON
    while low < horizon:
        high = min(low + NEXT_SEARCH_STEP, horizon)
        for stretch in _stretches(post_plan, low, high):
            return _whole(plan, stretch)
        low = high
    return None


def assignments(plan: DutyPlan, post: str, start: datetime, end: datetime) -> list[OnDuty]:
    """Every stretch of ``post`` overlapping ``[start, end)``, with their full bounds."""
    post_plan = plan.posts.get(post)
    if post_plan is None or end <= start:
        return []
    low, high = start, end
    first = who_is_on_duty(plan, post, start)
    if first is not None:
        low = first.start
    last = who_is_on_duty(plan, post, end - _TINY)
    if last is not None:
        high = max(high, last.end)
    return [s for s in _stretches(post_plan, low, high) if s.end > start and s.start < end]


def stretches(plan: DutyPlan, post: str, start: datetime, end: datetime) -> list[OnDuty]:
    """The stretches of ``post`` cut to ``[start, end)``: coverage works on these."""
    post_plan = plan.posts.get(post)
    if post_plan is None or end <= start:
        return []
    return list(_stretches(post_plan, start, end))


def _whole(plan: DutyPlan, stretch: OnDuty) -> OnDuty:
    """A stretch found in a cut range, with its real end (it may run past the range)."""
    found = who_is_on_duty(plan, stretch.post, stretch.start)
    return stretch if found is None else found


def _holder_at(post_plan: PostPlan, at: datetime) -> _Holder | None:
    for override in reversed(post_plan.overrides):
        if override.start <= at < override.end:
            return _Holder(override.person, "override", None, override.start, override.end)
    for layer in reversed(post_plan.layers):
        if not layer.applies_at(at):
            continue
        shift = layer.shift_at(at)
        if shift is None:
            continue
        source: Source = "swap" if shift.swapped else "rotation"
        return _Holder(shift.person, source, layer.name, shift.start, shift.end)
    return None


class _LayerCursor:
    """One layer's shifts and windows over a range, read in increasing time order."""

    def __init__(self, layer: LayerPlan, low: datetime, high: datetime) -> None:
        self.name = layer.name
        self.shifts = list(layer.shifts_between(low, high))
        self.windows = layer.windows_between(low, high)
        self._shift = 0
        self._window = 0

    def breakpoints(self) -> Iterator[datetime]:
        for shift in self.shifts:
            yield shift.start
            yield shift.end
        for window_start, window_end in self.windows:
            yield window_start
            yield window_end

    def holder_at(self, at: datetime) -> _Holder | None:
        """As :func:`_holder_at` for this layer; ``at`` must not decrease between calls."""
        windows, shifts = self.windows, self.shifts
        while self._window < len(windows) and windows[self._window][1] <= at:
            self._window += 1
        if self._window == len(windows) or windows[self._window][0] > at:
            return None
        while self._shift < len(shifts) and shifts[self._shift].end <= at:
            self._shift += 1
        if self._shift == len(shifts) or shifts[self._shift].start > at:
            return None
        shift = shifts[self._shift]
        source: Source = "swap" if shift.swapped else "rotation"
        return _Holder(shift.person, source, self.name, shift.start, shift.end)


def _stretches(post_plan: PostPlan, low: datetime, high: datetime) -> Iterator[OnDuty]:
    """The stretches of one post cut to ``[low, high)``, in order.

    One sweep over the range: every layer's shifts and windows are computed once, and
    the holder of each piece between two breakpoints is read off cursors.
    """
    if high <= low:
        return
    overrides = [o for o in post_plan.overrides if _overlaps(o, low, high)]
    cursors = [_LayerCursor(layer, low, high) for layer in reversed(post_plan.layers)]
    points = {low, high}
    for override in overrides:
        points.update((override.start, override.end))
    for cursor in cursors:
        points.update(cursor.breakpoints())
    ordered = sorted(point for point in points if low <= point <= high)
    pending: OnDuty | None = None
    for start, end in itertools.pairwise(ordered):
        holder = _sweep_holder(overrides, cursors, start)
        if holder is None:
            if pending is not None:
                yield pending
                pending = None
            continue
        if pending is not None and pending.end == start and _same(pending, holder):
            pending = replace(pending, end=end)
            continue
        if pending is not None:
            yield pending
        pending = OnDuty(
            post=post_plan.post,
            person=holder.person,
            start=start,
            end=end,
            source=holder.source,
            layer=holder.layer,
            shift_start=holder.shift_start,
            shift_end=holder.shift_end,
        )
    if pending is not None:
        yield pending


def _sweep_holder(
    overrides: list[OverridePlan], cursors: list[_LayerCursor], at: datetime
) -> _Holder | None:
    for override in reversed(overrides):
        if override.start <= at < override.end:
            return _Holder(override.person, "override", None, override.start, override.end)
    # Every cursor must see every instant, in order: no early exit before all have moved.
    found = [cursor.holder_at(at) for cursor in cursors]
    return next((holder for holder in found if holder is not None), None)


def _overlaps(override: OverridePlan, low: datetime, high: datetime) -> bool:
    return override.start < high and override.end > low


def _same(stretch: OnDuty, holder: _Holder) -> bool:
    return (
        stretch.person == holder.person
        and stretch.source == holder.source
        and stretch.layer == holder.layer
        and stretch.shift_start == holder.shift_start
        and stretch.shift_end == holder.shift_end
    )
