from __future__ import annotations

from datetime import timedelta

import pytest

from garrison.demo.lab import FaultKind, FaultSchedule, FaultWindow, InvalidScheduleError


def _minutes(value: float) -> timedelta:
    return timedelta(minutes=value)


REPEATING = FaultWindow("link", FaultKind.DOWN, _minutes(2), _minutes(3), _minutes(20))
ONCE = FaultWindow("portal", FaultKind.SLOW, _minutes(10), _minutes(1))


@pytest.mark.parametrize(
    ("elapsed", "expected_start"),
    [
        (0, None),
        (1.99, None),
        (2, 2),
        (4.99, 2),
        (5, None),
        (21.99, None),
        (22, 22),
        (24, 22),
        (25, None),
        (62.5, 62),
    ],
)
def test_repeating_window_is_active_from_its_start_for_its_duration(
    elapsed: float, expected_start: float | None
) -> None:
    expected = None if expected_start is None else _minutes(expected_start)

    assert REPEATING.occurrence_start(_minutes(elapsed)) == expected


@pytest.mark.parametrize(
    ("elapsed", "expected_change"),
    [(0, 2), (2, 5), (3, 5), (5, 22), (21, 22), (22, 25)],
)
def test_repeating_window_next_change(elapsed: float, expected_change: float) -> None:
    assert REPEATING.next_change_after(_minutes(elapsed)) == _minutes(expected_change)


def test_one_off_window_opens_once() -> None:
    assert ONCE.occurrence_start(_minutes(10.5)) == _minutes(10)
    assert ONCE.occurrence_start(_minutes(30.5)) is None
    assert ONCE.next_change_after(_minutes(10)) == _minutes(11)
    assert ONCE.next_change_after(_minutes(11)) is None


@pytest.mark.parametrize(
    ("start", "duration", "period"),
    [(-1, 1, None), (0, 0, None), (0, 5, 5), (0, 5, 2)],
)
def test_nonsense_windows_are_refused(start: float, duration: float, period: float | None) -> None:
    with pytest.raises(InvalidScheduleError):
        FaultWindow(
            "link",
            FaultKind.DOWN,
            _minutes(start),
            _minutes(duration),
            None if period is None else _minutes(period),
        )


def test_schedule_lists_faults_in_effect() -> None:
    schedule = FaultSchedule([REPEATING, ONCE])

    assert schedule.targets == ("link", "portal")
    assert schedule.faults_at(_minutes(1)) == {}
    assert schedule.faults_at(_minutes(3)) == {"link": FaultKind.DOWN}
    assert schedule.faults_at(_minutes(10)) == {"portal": FaultKind.SLOW}
    assert schedule.faults_at(_minutes(23)) == {"link": FaultKind.DOWN}


def test_schedule_next_change_is_the_earliest_of_its_windows() -> None:
    schedule = FaultSchedule([REPEATING, ONCE])

    assert schedule.next_change_after(_minutes(0)) == _minutes(2)
    assert schedule.next_change_after(_minutes(5)) == _minutes(10)
    assert schedule.next_change_after(_minutes(11)) == _minutes(22)
    assert FaultSchedule().next_change_after(_minutes(0)) is None


def test_overlapping_windows_on_one_target_follow_the_latest_opened() -> None:
    hang = FaultWindow("site", FaultKind.HANG, _minutes(0), _minutes(10))
    error = FaultWindow("site", FaultKind.ERROR, _minutes(4), _minutes(2))
    schedule = FaultSchedule([error, hang])

    assert schedule.faults_at(_minutes(1)) == {"site": FaultKind.HANG}
    assert schedule.faults_at(_minutes(5)) == {"site": FaultKind.ERROR}
    assert schedule.faults_at(_minutes(7)) == {"site": FaultKind.HANG}
