"""Maintenance windows: when they are open, in UTC, computed in the event's time zone.

A one-off window is a pair of instants. A recurring window opens at ``start_time``
on each listed weekday (the weekday of its *start*, local time) and closes at
``end_time`` — the next day when ``end_time`` is not after ``start_time``, so a
22:00-02:00 window on Friday closes on Saturday at 02:00.

Local times are placed with the zone's rules of that very day, so a 01:00-03:00
window in Europe/Paris lasts two hours every day except on the night clocks go
forward (one hour: 01:00 CET to 03:00 CEST) and the night they go back (three
hours). A start or end that does not exist that day (inside the jump forward) is
taken as the same wall time before the jump, which lands one hour later; a wall
time that happens twice (the jump back) is taken at its first occurrence.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# How far ahead the next opening or closing of a recurring window is looked for.
LOOKAHEAD_DAYS = 8


@dataclass(frozen=True, slots=True)
class WeeklyRecurrence:
    days: frozenset[str]
    start_time: time
    end_time: time


@dataclass(frozen=True, slots=True)
class Window:
    """A maintenance window as the engine uses it (from the configuration or the API)."""

    id: str
    services: frozenset[str]
    checks: frozenset[str]
    start: datetime | None = None
    end: datetime | None = None
    recurrence: WeeklyRecurrence | None = None
    reason: str = ""

    def occurrences(self, zone: tzinfo, since: datetime, until: datetime) -> Iterator[Span]:
        """Every opening of the window that overlaps [since, until), in order."""
        if self.recurrence is None:
            start, end = self.start, self.end
            if start is not None and end is not None and start < until and end > since:
                yield Span(start, end)
            return
        first_day = since.astimezone(zone).date() - timedelta(days=1)
        last_day = until.astimezone(zone).date()
        day = first_day
        while day <= last_day:
            span = _recurring_span(self.recurrence, zone, day)
            if span is not None and span.start < until and span.end > since:
                yield span
            day += timedelta(days=1)

    def is_open(self, zone: tzinfo, at: datetime) -> bool:
        return any(True for _span in self.occurrences(zone, at, at + timedelta(microseconds=1)))


@dataclass(frozen=True, slots=True)
class Span:
    start: datetime
    end: datetime

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


def _recurring_span(recurrence: WeeklyRecurrence, zone: tzinfo, day: date) -> Span | None:
    if WEEKDAYS[day.weekday()] not in recurrence.days:
        return None
    end_day = day if recurrence.end_time > recurrence.start_time else day + timedelta(days=1)
    start = _local_instant(day, recurrence.start_time, zone)
    end = _local_instant(end_day, recurrence.end_time, zone)
    if end <= start:
        return None
    return Span(start, end)


def _local_instant(day: date, wall: time, zone: tzinfo) -> datetime:
    # fold=0: a repeated wall time is its first occurrence; a missing one lands after the jump.
    return datetime.combine(day, wall.replace(tzinfo=None), tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class ActiveMaintenance:
    """What is under maintenance at one instant."""

    services: frozenset[str]
    checks: frozenset[str]
    windows: tuple[str, ...]

    def covers_service(self, service_id: str) -> bool:
        return service_id in self.services

    def covers_check(self, check_id: str, service_id: str | None) -> bool:
        return check_id in self.checks or (service_id is not None and service_id in self.services)


NOTHING_ACTIVE = ActiveMaintenance(frozenset(), frozenset(), ())


class MaintenanceCalendar:
    """All windows of the event; answers "what is in maintenance now" and "when next"."""

    def __init__(self, windows: Iterable[Window], zone: tzinfo) -> None:
        self.windows = tuple(windows)
        self.zone = zone

    def active_at(self, at: datetime) -> ActiveMaintenance:
        open_windows = [window for window in self.windows if window.is_open(self.zone, at)]
        if not open_windows:
            return NOTHING_ACTIVE
        return ActiveMaintenance(
            services=frozenset().union(*(window.services for window in open_windows)),
            checks=frozenset().union(*(window.checks for window in open_windows)),
            windows=tuple(window.id for window in open_windows),
        )

    def next_change_after(self, at: datetime) -> datetime | None:
        """The first instant after ``at`` at which some window opens or closes."""
        horizon = at + timedelta(days=LOOKAHEAD_DAYS)
        found: datetime | None = None
        for window in self.windows:
            for span in window.occurrences(self.zone, at, horizon):
                for edge in (span.start, span.end):
                    if edge > at and (found is None or edge < found):
                        found = edge
        return found

    def spans(
        self, since: datetime, until: datetime, *, service_id: str | None, check_id: str | None
    ) -> list[Span]:
        """The merged periods in [since, until) when a service or check was in maintenance."""
        pieces: list[Span] = []
        for window in self.windows:
            applies = (service_id is not None and service_id in window.services) or (
                check_id is not None and check_id in window.checks
            )
            if applies:
                for span in window.occurrences(self.zone, since, until):
                    pieces.append(Span(max(span.start, since), min(span.end, until)))
        return merge_spans(pieces)


def merge_spans(spans: Iterable[Span]) -> list[Span]:
    merged: list[Span] = []
    for span in sorted(spans, key=lambda s: s.start):
        if merged and span.start <= merged[-1].end:
            if span.end > merged[-1].end:
                merged[-1] = Span(merged[-1].start, span.end)
        else:
            merged.append(span)
    return merged
