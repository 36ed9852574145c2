"""Maintenance windows: one-off and weekly, in the event's zone, right across DST and midnight."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from garrison.probes.maintenance import MaintenanceCalendar, Span, WeeklyRecurrence, Window
from garrison.probes.plan import window_from_config
from tests.probes.engine.factories import make_config

PARIS = ZoneInfo("Europe/Paris")
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
EVERY_DAY = frozenset({"mon", "tue", "wed", "thu", "fri", "sat", "sun"})


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def nightly(start: time, end: time, days: frozenset[str] = EVERY_DAY) -> Window:
    return Window(
        id="nightly",
        services=frozenset({"portal"}),
        checks=frozenset(),
        recurrence=WeeklyRecurrence(days=days, start_time=start, end_time=end),
    )


def test_daily_window_across_the_spring_forward_night() -> None:
    window = nightly(time(1, 0), time(3, 0))
    spans = list(window.occurrences(PARIS, utc(2026, 3, 27, 12), utc(2026, 3, 30, 12)))
    assert spans == [
        # 01:00-03:00 CET (UTC+1): two hours.
        Span(utc(2026, 3, 28, 0), utc(2026, 3, 28, 2)),
        # Clocks jump from 02:00 to 03:00: 01:00 CET to 03:00 CEST is one hour.
        Span(utc(2026, 3, 29, 0), utc(2026, 3, 29, 1)),
        # 01:00-03:00 CEST (UTC+2): two hours again, an hour earlier in UTC.
        Span(utc(2026, 3, 29, 23), utc(2026, 3, 30, 1)),
    ]


def test_daily_window_across_the_fall_back_night_lasts_three_hours() -> None:
    window = nightly(time(1, 0), time(3, 0))
    spans = list(window.occurrences(PARIS, utc(2026, 10, 24, 12), utc(2026, 10, 25, 12)))
    assert spans == [Span(utc(2026, 10, 24, 23), utc(2026, 10, 25, 2))]
    assert spans[0].seconds == 3 * 3600


def test_a_start_time_inside_the_jump_forward_opens_after_it() -> None:
    window = nightly(time(2, 30), time(4, 0))
    spans = list(window.occurrences(PARIS, utc(2026, 3, 28, 12), utc(2026, 3, 29, 12)))
    # 02:30 does not exist that night: the window opens at 03:30 CEST (01:30 UTC).
    assert spans == [Span(utc(2026, 3, 29, 1, 30), utc(2026, 3, 29, 2))]


def test_a_window_crossing_midnight_belongs_to_the_day_it_starts() -> None:
    window = nightly(time(22, 0), time(2, 0), days=frozenset({"fri"}))
    friday_evening = datetime(2026, 6, 5, 22, 30, tzinfo=HANOI)
    assert window.is_open(HANOI, friday_evening)
    assert window.is_open(HANOI, datetime(2026, 6, 6, 1, 59, tzinfo=HANOI))
    assert not window.is_open(HANOI, datetime(2026, 6, 6, 2, 0, tzinfo=HANOI))
    assert not window.is_open(HANOI, datetime(2026, 6, 5, 21, 59, tzinfo=HANOI))
    # Saturday night is not listed.
    assert not window.is_open(HANOI, datetime(2026, 6, 6, 23, 0, tzinfo=HANOI))
    # Thursday's night does not spill into Friday morning.
    assert not window.is_open(HANOI, datetime(2026, 6, 5, 1, 0, tzinfo=HANOI))


def test_midnight_crossing_window_over_the_dst_night() -> None:
    window = nightly(time(23, 0), time(4, 0), days=frozenset({"sat"}))
    spans = list(window.occurrences(PARIS, utc(2026, 3, 28, 0), utc(2026, 3, 30, 0)))
    # Sat 23:00 CET (22:00 UTC) to Sun 04:00 CEST (02:00 UTC): four hours, not five.
    assert spans == [Span(utc(2026, 3, 28, 22), utc(2026, 3, 29, 2))]


def test_one_off_windows_from_configuration_are_read_in_the_event_zone() -> None:
    config = make_config(
        services=[
            {
                "id": "portal",
                "name": "Portal",
                "kind": "website",
                "criticality": "high",
                "unit": "comms",
            }
        ],
        maintenance=[
            {
                "id": "upgrade",
                "services": ["portal"],
                "start": "2026-06-02T22:00:00",
                "end": "2026-06-03T01:00:00",
            },
        ],
        timezone="Europe/Paris",
    )
    window = window_from_config(config.maintenance[0])
    assert (window.start, window.end) == (utc(2026, 6, 2, 20), utc(2026, 6, 2, 23))
    calendar = MaintenanceCalendar([window], PARIS)
    assert calendar.active_at(utc(2026, 6, 2, 19, 59)).services == frozenset()
    assert calendar.active_at(utc(2026, 6, 2, 20)).services == {"portal"}
    assert calendar.active_at(utc(2026, 6, 2, 23)).services == frozenset()


def test_calendar_merges_windows_and_finds_the_next_edge() -> None:
    one_off = Window(
        id="swap",
        services=frozenset(),
        checks=frozenset({"ping"}),
        start=utc(2026, 6, 1, 10),
        end=utc(2026, 6, 1, 11),
    )
    daily = nightly(time(1, 0), time(3, 0))
    calendar = MaintenanceCalendar([one_off, daily], PARIS)
    active = calendar.active_at(utc(2026, 6, 1, 10, 30))
    assert active.checks == {"ping"}
    assert active.windows == ("swap",)
    assert active.covers_check("ping", None)
    assert not active.covers_check("other", "elsewhere")
    # Next edge after 10:30 UTC: the one-off closes at 11:00.
    assert calendar.next_change_after(utc(2026, 6, 1, 10, 30)) == utc(2026, 6, 1, 11)
    # Then the nightly opens at 01:00 CEST = 23:00 UTC.
    assert calendar.next_change_after(utc(2026, 6, 1, 11)) == utc(2026, 6, 1, 23)
    spans = calendar.spans(
        utc(2026, 6, 1, 0), utc(2026, 6, 3, 0), service_id="portal", check_id=None
    )
    assert sum(span.seconds for span in spans) == timedelta(hours=4).total_seconds()
