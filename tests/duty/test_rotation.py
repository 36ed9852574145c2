"""Rotations by example: 3x8, 2x12, handoff times, first shifts, layers, DST, swaps."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from garrison.duty.oncall import assignments, next_on_duty, who_is_on_duty
from garrison.duty.plan import build_plan
from garrison.duty.rotation import DailyWindow, local_to_utc
from tests.duty.factories import HCM, config_from, layer, local, plan_of

PARIS = "Europe/Paris"
NEW_YORK = "America/New_York"


def _people(plan_post: str, duty: str, start: datetime, end: datetime) -> list[tuple[str, str]]:
    plan = build_plan(config_from(duty))
    zone = ZoneInfo(HCM)
    return [
        (s.person, f"{s.start.astimezone(zone):%d %H:%M}-{s.end.astimezone(zone):%d %H:%M}")
        for s in assignments(plan, plan_post, start, end)
    ]


def test_three_eight_hour_shifts_from_the_handoff() -> None:
    day = [("alpha", "31 07:00-31 15:00"), ("bravo", "31 15:00-31 23:00")]
    day.append(("charlie", "31 23:00-01 07:00"))
    found = _people("noc", _NOC_3X8, local(HCM, 2026, 5, 31, 7), local(HCM, 2026, 6, 1, 7))
    assert found == day
    # The same people hold the same hours every day.
    tomorrow = _people("noc", _NOC_3X8, local(HCM, 2026, 6, 3, 7), local(HCM, 2026, 6, 3, 16))
    assert tomorrow == [("alpha", "03 07:00-03 15:00"), ("bravo", "03 15:00-03 23:00")]


def test_two_twelve_hour_shifts_alternate_day_and_night() -> None:
    found = _people("command", _NOC_3X8, local(HCM, 2026, 5, 31, 7), local(HCM, 2026, 6, 2, 7))
    assert found == [
        ("delta", "31 07:00-31 19:00"),
        ("echo", "31 19:00-01 07:00"),
        ("delta", "01 07:00-01 19:00"),
        ("echo", "01 19:00-02 07:00"),
    ]


def test_a_handoff_after_the_start_gives_a_short_first_shift_to_the_first_person() -> None:
    duty = _NOC_3X8.replace(
        'handoff_time: "07:00"\n      people: [alpha', 'handoff_time: "09:30"\n      people: [alpha'
    )
    found = _people("noc", duty, local(HCM, 2026, 5, 31, 7), local(HCM, 2026, 5, 31, 18))
    assert found == [
        ("alpha", "31 07:00-31 09:30"),
        ("bravo", "31 09:30-31 17:30"),
        ("charlie", "31 17:30-01 01:30"),
    ]


def test_an_explicit_start_date_begins_at_its_handoff_and_nobody_is_on_duty_before() -> None:
    duty = _NOC_3X8.replace(
        "people: [alpha, bravo, charlie]",
        "people: [alpha, bravo, charlie]\n      start: 2026-06-02",
    )
    plan = build_plan(config_from(duty))
    assert who_is_on_duty(plan, "noc", local(HCM, 2026, 6, 2, 6, 59)) is None
    first = who_is_on_duty(plan, "noc", local(HCM, 2026, 6, 2, 7))
    assert first is not None
    assert first.person == "alpha"
    upcoming = next_on_duty(plan, "noc", local(HCM, 2026, 6, 1, 12))
    assert upcoming is not None
    assert upcoming.start == local(HCM, 2026, 6, 2, 7)


def test_a_ten_hour_rotation_drifts_around_the_clock() -> None:
    plan = plan_of(layer(hours=10, handoff=time(7), people=("a", "b")))
    start = local(HCM, 2026, 1, 1, 7)
    held = assignments(plan, "post", start, start + timedelta(hours=40))
    assert [(s.person, s.start.astimezone(ZoneInfo(HCM)).hour) for s in held] == [
        ("a", 7),
        ("b", 17),
        ("a", 3),
        ("b", 13),
    ]


@pytest.mark.parametrize(
    ("zone", "night", "hours"),
    [
        (PARIS, date(2026, 3, 28), 11),  # clocks go forward at 02:00
        (PARIS, date(2026, 10, 24), 13),  # clocks go back at 03:00
        (NEW_YORK, date(2026, 3, 7), 11),
        (NEW_YORK, date(2026, 10, 31), 13),
        (HCM, date(2026, 3, 28), 12),  # no daylight saving
    ],
)
def test_a_night_shift_across_a_dst_change_lasts_11_or_13_hours(
    zone: str, night: date, hours: int
) -> None:
    plan = plan_of(layer(zone=zone, hours=12, handoff=time(7), people=("day", "night")), zone=zone)
    evening = local(zone, night.year, night.month, night.day, 19)
    shift = who_is_on_duty(plan, "post", evening)
    assert shift is not None
    assert shift.person == "night"
    assert shift.start == evening
    morning = night + timedelta(days=1)
    assert shift.end == local(zone, morning.year, morning.month, morning.day, 7)
    assert shift.end - shift.start == timedelta(hours=hours)
    # The next day shift starts at 07:00 local, as on every other day.
    following = next_on_duty(plan, "post", evening)
    assert following is not None
    assert following.person == "day"
    assert following.start.astimezone(ZoneInfo(zone)).hour == 7


def test_a_handoff_in_the_skipped_hour_happens_when_the_clocks_jump() -> None:
    zone = ZoneInfo(PARIS)
    # 2026-03-29 02:30 does not exist in Paris: the clocks jump from 02:00 to 03:00 (01:00 UTC).
    assert local_to_utc(datetime.combine(date(2026, 3, 29), time(2, 30)), zone) == datetime(
        2026, 3, 29, 1, tzinfo=UTC
    )
    plan = plan_of(layer(zone=PARIS, hours=24, handoff=time(2, 30), people=("a", "b")), zone=PARIS)
    before = who_is_on_duty(plan, "post", datetime(2026, 3, 29, 0, 59, tzinfo=UTC))
    after = who_is_on_duty(plan, "post", datetime(2026, 3, 29, 1, tzinfo=UTC))
    assert before is not None
    assert after is not None
    assert before.end == after.start == datetime(2026, 3, 29, 1, tzinfo=UTC)
    assert before.person != after.person
    assert after.end == local(PARIS, 2026, 3, 30, 2, 30)


def test_a_handoff_in_the_repeated_hour_happens_at_its_first_occurrence() -> None:
    zone = ZoneInfo(PARIS)
    # 2026-10-25 02:30 happens twice in Paris (CEST, then CET): the first one counts.
    first = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert local_to_utc(datetime.combine(date(2026, 10, 25), time(2, 30)), zone) == first
    plan = plan_of(layer(zone=PARIS, hours=24, handoff=time(2, 30), people=("a", "b")), zone=PARIS)
    shift = who_is_on_duty(plan, "post", first)
    assert shift is not None
    assert shift.start == first
    assert shift.end - shift.start == timedelta(hours=25)


def test_a_day_layer_overrides_the_base_rotation_inside_its_windows_only() -> None:
    weekdays = DailyWindow(weekdays=frozenset(range(5)), start=time(8), end=time(18))
    base = layer(hours=12, handoff=time(7), people=("night-a", "night-b"))
    day = layer(hours=24, handoff=time(8), people=("boss",), name="day", windows=(weekdays,))
    plan = plan_of(base, day)
    # 2026-01-05 is a Monday.
    monday = assignments(plan, "post", local(HCM, 2026, 1, 5, 7), local(HCM, 2026, 1, 5, 19))
    assert [(s.person, s.layer, s.start.astimezone(ZoneInfo(HCM)).hour) for s in monday] == [
        ("night-a", "base", 7),
        ("boss", "day", 8),
        ("night-a", "base", 18),
    ]
    # The base shift's two parts keep the whole shift's bounds.
    assert monday[0].shift_start == monday[2].shift_start == local(HCM, 2026, 1, 5, 7)
    saturday = who_is_on_duty(plan, "post", local(HCM, 2026, 1, 10, 12))
    assert saturday is not None
    assert saturday.layer == "base"


def test_an_overnight_window_closes_the_next_morning() -> None:
    nights = DailyWindow(weekdays=frozenset(range(7)), start=time(22), end=time(6))
    base = layer(hours=24, handoff=time(7), people=("day",))
    night = layer(hours=24, handoff=time(22), people=("owl",), name="night", windows=(nights,))
    plan = plan_of(base, night)
    found = who_is_on_duty(plan, "post", local(HCM, 2026, 1, 6, 3))
    assert found is not None
    assert found.person == "owl"
    assert found.start == local(HCM, 2026, 1, 5, 22)
    assert found.end == local(HCM, 2026, 1, 6, 6)


def test_configured_layers_overrides_and_swaps() -> None:
    duty = (
        _NOC_3X8
        + """
      layers:
        - name: weekday-lead
          shift_length: 24
          handoff_time: "09:00"
          people: [lima]
          restrictions: [{days: [mon, tue, wed, thu, fri], start_time: "09:00", end_time: "11:00"}]
  overrides:
    - {person: standin, post: noc, start: 2026-06-03T12:00:00, end: 2026-06-03T13:00:00}
  swaps:
    - post: noc
      first: {person: alpha, shift_start: 2026-06-04T07:00:00}
      second: {person: charlie, shift_start: 2026-06-04T23:00:00}
"""
    )
    plan = build_plan(config_from(duty))
    assert plan.problems == ()
    # 2026-06-01 is a Monday: the weekday lead holds the NOC from 09:00 to 11:00.
    lead = who_is_on_duty(plan, "noc", local(HCM, 2026, 6, 1, 10))
    assert lead is not None
    assert (lead.person, lead.layer) == ("lima", "weekday-lead")
    stand_in = who_is_on_duty(plan, "noc", local(HCM, 2026, 6, 3, 12, 30))
    assert stand_in is not None
    assert (stand_in.person, stand_in.source) == ("standin", "override")
    morning = who_is_on_duty(plan, "noc", local(HCM, 2026, 6, 4, 8))
    night = who_is_on_duty(plan, "noc", local(HCM, 2026, 6, 5, 1))
    assert morning is not None
    assert (morning.person, morning.source) == ("charlie", "swap")
    assert night is not None
    assert (night.person, night.source) == ("alpha", "swap")


def test_a_swap_of_a_shift_its_person_does_not_hold_is_a_problem_not_applied() -> None:
    duty = (
        _NOC_3X8
        + """
  swaps:
    - post: noc
      first: {person: bravo, shift_start: 2026-06-04T07:00:00}
      second: {person: charlie, shift_start: 2026-06-04T23:00:00}
    - post: noc
      first: {person: alpha, shift_start: 2026-06-04T08:00:00}
      second: {person: charlie, shift_start: 2026-06-05T23:00:00}
"""
    )
    plan = build_plan(config_from(duty))
    assert [(p.source, p.message) for p in plan.problems] == [
        (
            "duty.swaps[0].first.person",
            "bravo does not hold the shift starting at 2026-06-04 07:00+07:00",
        ),
        (
            "duty.swaps[1].first.shift_start",
            "no shift of layer base starts at 2026-06-04 08:00+07:00",
        ),
    ]
    morning = who_is_on_duty(plan, "noc", local(HCM, 2026, 6, 4, 8))
    assert morning is not None
    assert morning.person == "alpha"


def test_nobody_is_on_duty_at_an_unknown_post() -> None:
    plan = build_plan(config_from(_NOC_3X8))
    assert who_is_on_duty(plan, "nowhere", local(HCM, 2026, 6, 1)) is None
    assert next_on_duty(plan, "nowhere", local(HCM, 2026, 6, 1)) is None
    assert assignments(plan, "nowhere", local(HCM, 2026, 6, 1), local(HCM, 2026, 6, 2)) == []


_NOC_3X8 = """
duty:
  rotations:
    - post: command
      shift_length: 12
      handoff_time: "07:00"
      people: [delta, echo]
    - post: noc
      shift_length: 8
      handoff_time: "07:00"
      people: [alpha, bravo, charlie]
"""
