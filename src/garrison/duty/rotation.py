"""Shift arithmetic for one rotation layer: pure functions of the schedule and an instant.

A layer's shifts follow a grid of local wall-clock boundaries: ``anchor + k *
shift_length`` for every integer ``k``, read in the event's time zone. Because the
grid is wall-clock time, a 12-hour night shift across the spring change lasts 11
hours of real time and across the autumn change 13 hours. The DST rule for a
boundary (see :func:`local_to_utc`):

- a wall-clock time that happens twice (clocks go back) means its first occurrence;
- a wall-clock time that does not exist (clocks go forward) means the instant the
  clocks jump. A shift that falls entirely in such a gap lasts no time at all: it is
  skipped, and its person's turn with it.

Shift ``k`` goes to ``people[(k - first_index) % len(people)]``, where
``first_index`` is the shift under way when the layer begins (``begins_at``),
which is cut to start there. Before ``begins_at`` the layer has nobody.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_ONE_SECOND = timedelta(seconds=1)
_ONE_DAY = timedelta(days=1)


def local_to_utc(wall: datetime, zone: ZoneInfo) -> datetime:
    """The instant (UTC) a naive local wall-clock time names, by the DST rule above."""
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == wall:
        return first
    # The time was skipped: fold=0 and fold=1 read it with the offsets either side of
    # the jump, which bracket the moment of the jump; find that moment to the second.
    second = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    low, high = min(first, second), max(first, second)
    offset_before = low.astimezone(zone).utcoffset()
    while high - low > _ONE_SECOND:
        middle = low + (high - low) / 2
        if middle.astimezone(zone).utcoffset() == offset_before:
            low = middle
        else:
            high = middle
    # Transitions fall on whole seconds, and ``high`` is less than a second past it.
    return high.replace(microsecond=0)


def wall_clock(at: datetime, zone: ZoneInfo) -> datetime:
    """The naive local wall-clock reading of an instant."""
    return at.astimezone(zone).replace(tzinfo=None)


@dataclass(frozen=True, slots=True)
class DailyWindow:
    """A window opening on the given weekdays (0 = Monday) at ``start``, local time.

    An ``end`` at or before ``start`` closes the window on the next day.
    """

    weekdays: frozenset[int]
    start: time
    end: time

    def on(self, day: date, zone: ZoneInfo) -> tuple[datetime, datetime] | None:
        if day.weekday() not in self.weekdays:
            return None
        closing_day = day if self.end > self.start else day + _ONE_DAY
        opens = local_to_utc(datetime.combine(day, self.start), zone)
        closes = local_to_utc(datetime.combine(closing_day, self.end), zone)
        return (opens, closes) if closes > opens else None


@dataclass(frozen=True, slots=True)
class Shift:
    """Shift ``index`` of a layer, held by ``person`` (after swaps)."""

    index: int
    start: datetime
    end: datetime
    person: str
    swapped: bool = False


@dataclass(frozen=True, slots=True)
class LayerPlan:
    """One rotation layer, ready for arithmetic. Build it with :func:`make_layer`."""

    name: str
    zone: ZoneInfo
    shift_length: timedelta
    anchor: datetime
    begins_at: datetime
    people: tuple[str, ...]
    first_index: int
    windows: tuple[DailyWindow, ...] = ()
    # Shift start (UTC) -> the person who took that shift in a swap.
    swaps: Mapping[datetime, str] = field(default_factory=dict)

    def boundary(self, index: int) -> datetime:
        return local_to_utc(self.anchor + index * self.shift_length, self.zone)

    def index_at(self, at: datetime) -> int:
        """The grid index ``k`` with ``boundary(k) <= at < boundary(k + 1)``."""
        index = (wall_clock(at, self.zone) - self.anchor) // self.shift_length
        while self.boundary(index) > at:
            index -= 1
        while self.boundary(index + 1) <= at:
            index += 1
        return index

    def rotation_person(self, index: int) -> str:
        """Who the rotation gives shift ``index`` to, before swaps."""
        return self.people[(index - self.first_index) % len(self.people)]

    def shift(self, index: int) -> Shift:
        """Shift ``index``; before ``begins_at`` (and inside a skipped hour) it lasts no time."""
        start = max(self.boundary(index), self.begins_at)
        end = max(self.boundary(index + 1), self.begins_at)
        person = self.rotation_person(index)
        swapped = self.swaps.get(start) if end > start else None
        return Shift(
            index=index,
            start=start,
            end=end,
            person=person if swapped is None else swapped,
            swapped=swapped is not None,
        )

    def shift_at(self, at: datetime) -> Shift | None:
        """The shift under way at ``at`` (ignoring restrictions), or None before the layer."""
        if at < self.begins_at:
            return None
        return self.shift(self.index_at(at))

    def shifts_between(self, low: datetime, high: datetime) -> Iterator[Shift]:
        """Shifts overlapping ``[low, high)``, in order; zero-length shifts are skipped."""
        if high <= self.begins_at:
            return
        index = self.index_at(max(low, self.begins_at))
        while True:
            shift = self.shift(index)
            if shift.start >= high:
                return
            if shift.end > shift.start:
                yield shift
            index += 1

    def applies_at(self, at: datetime) -> bool:
        """True when ``at`` is inside one of the layer's windows (always, without windows)."""
        if not self.windows:
            return True
        return any(start <= at < end for start, end in self.windows_between(at, at + _ONE_SECOND))

    def windows_between(self, low: datetime, high: datetime) -> list[tuple[datetime, datetime]]:
        """The layer's windows overlapping ``[low, high)``, merged where they touch."""
        if not self.windows:
            return [(low, high)]
        found: list[tuple[datetime, datetime]] = []
        day = wall_clock(low, self.zone).date() - _ONE_DAY
        last = wall_clock(high, self.zone).date()
        while day <= last:
            for window in self.windows:
                span = window.on(day, self.zone)
                if span is not None and span[1] > low and span[0] < high:
                    found.append(span)
            day += _ONE_DAY
        return _merge(found)


def _merge(spans: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def make_layer(
    *,
    name: str,
    zone: ZoneInfo,
    shift_hours: float,
    handoff_time: time,
    people: tuple[str, ...],
    begins_at: datetime,
    anchor_day: date,
    windows: tuple[DailyWindow, ...] = (),
) -> LayerPlan:
    """A layer whose grid passes through ``anchor_day`` at ``handoff_time`` (local time).

    The shift under way at ``begins_at`` goes to ``people[0]``.
    """
    if not people:
        raise ValueError("a layer needs at least one person")
    if begins_at.tzinfo is None:
        raise ValueError("begins_at must be timezone-aware")
    length = timedelta(minutes=round(shift_hours * 60))
    if length < timedelta(minutes=1):
        raise ValueError("a shift must last at least a minute")
    layer = LayerPlan(
        name=name,
        zone=zone,
        shift_length=length,
        anchor=datetime.combine(anchor_day, handoff_time),
        begins_at=begins_at.astimezone(UTC),
        people=people,
        first_index=0,
        windows=windows,
    )
    first_index = layer.index_at(layer.begins_at)
    return LayerPlan(
        name=name,
        zone=zone,
        shift_length=length,
        anchor=layer.anchor,
        begins_at=layer.begins_at,
        people=people,
        first_index=first_index,
        windows=windows,
    )
