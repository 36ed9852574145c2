"""Properties of the schedule arithmetic, in zones with and without daylight saving."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from garrison.duty.oncall import next_on_duty, stretches, who_is_on_duty
from garrison.duty.plan import OverridePlan, SwapPlan, swap_error
from garrison.duty.rotation import DailyWindow, LayerPlan, local_to_utc, wall_clock
from tests.duty.factories import layer, plan_of

ZONES = ("Europe/Paris", "America/New_York", "Asia/Ho_Chi_Minh", "Australia/Lord_Howe")
# Daylight-saving changes of 2026, where the interesting things happen.
TRANSITIONS = {
    "Europe/Paris": (datetime(2026, 3, 29, 1, tzinfo=UTC), datetime(2026, 10, 25, 1, tzinfo=UTC)),
    "America/New_York": (
        datetime(2026, 3, 8, 7, tzinfo=UTC),
        datetime(2026, 11, 1, 6, tzinfo=UTC),
    ),
    "Asia/Ho_Chi_Minh": (datetime(2026, 3, 29, 1, tzinfo=UTC),),
    "Australia/Lord_Howe": (
        datetime(2026, 4, 4, 15, tzinfo=UTC),
        datetime(2026, 10, 3, 15, 30, tzinfo=UTC),
    ),
}
BEGINS = datetime(2026, 1, 10, tzinfo=UTC)
PROPERTY_SETTINGS = settings(max_examples=150, deadline=None)

zones = st.sampled_from(ZONES)
shift_hours = st.sampled_from((1.0, 2.5, 4.0, 6.0, 7.5, 8.0, 10.0, 12.0, 24.0))
# 02:30 falls into the spring gap in Paris and New York, and repeats in the autumn.
handoffs = st.sampled_from((time(0), time(2, 30), time(6), time(7), time(8, 15), time(19)))
people = st.lists(st.sampled_from("abcdef"), min_size=1, max_size=5, unique=True).map(tuple)


@st.composite
def instants(draw: st.DrawFn, zone: str) -> datetime:
    """An instant of 2026 after BEGINS, often within three days of a DST change."""
    if draw(st.booleans()):
        around = draw(st.sampled_from(TRANSITIONS[zone]))
        return around + timedelta(minutes=draw(st.integers(-3 * 1440, 3 * 1440)))
    return BEGINS + timedelta(minutes=draw(st.integers(0, 340 * 1440)))


@st.composite
def layers(draw: st.DrawFn, zone: str) -> LayerPlan:
    return layer(
        zone=zone,
        hours=draw(shift_hours),
        handoff=draw(handoffs),
        people=draw(people),
        begins_at=BEGINS + timedelta(minutes=draw(st.integers(0, 1440))),
        anchor_day=date(2026, 1, 10),
    )


@PROPERTY_SETTINGS
@given(
    zone=zones,
    day=st.dates(date(2026, 1, 1), date(2026, 12, 31)),
    minutes=st.integers(0, 1439),
    later=st.integers(1, 600),
)
def test_local_times_map_to_instants_in_order(
    zone: str, day: date, minutes: int, later: int
) -> None:
    wall = datetime.combine(day, time()) + timedelta(minutes=minutes)
    instant = local_to_utc(wall, ZoneInfo(zone))
    assert instant <= local_to_utc(wall + timedelta(minutes=later), ZoneInfo(zone))
    shown = wall_clock(instant, ZoneInfo(zone))
    # An existing time reads back as itself; a skipped one as the first minute after the jump.
    assert shown == wall or (shown > wall and shown - wall <= timedelta(hours=1))


@PROPERTY_SETTINGS
@given(data=st.data(), zone=zones)
def test_shifts_tile_time_without_gaps_or_overlaps(data: st.DataObject, zone: str) -> None:
    plan_layer = data.draw(layers(zone))
    start = data.draw(instants(zone))
    end = start + timedelta(hours=data.draw(st.integers(1, 96)))
    found = list(plan_layer.shifts_between(start, end))
    if end <= plan_layer.begins_at:
        assert found == []
        return
    assert found, "a layer without restrictions has shifts everywhere after it begins"
    assert found[0].start <= max(start, plan_layer.begins_at)
    assert found[-1].end >= end
    for before, after in itertools.pairwise(found):
        assert before.end == after.start
        assert before.index < after.index
    assert all(shift.start < shift.end for shift in found)


@PROPERTY_SETTINGS
@given(data=st.data(), zone=zones)
def test_exactly_one_person_per_layer_at_any_instant(data: st.DataObject, zone: str) -> None:
    plan_layer = data.draw(layers(zone))
    at = data.draw(instants(zone))
    shift = plan_layer.shift_at(at)
    if at < plan_layer.begins_at:
        assert shift is None
        return
    assert shift is not None
    assert shift.start <= at < shift.end
    assert shift.person in plan_layer.people
    # The neighbours touch it: the shift after starts exactly where this one ends.
    following = plan_layer.shift_at(shift.end)
    assert following is not None
    assert following.start == shift.end
    if shift.start > plan_layer.begins_at:
        previous = plan_layer.shift_at(shift.start - timedelta(microseconds=1))
        assert previous is not None
        assert previous.end == shift.start


@PROPERTY_SETTINGS
@given(data=st.data(), zone=zones)
def test_a_shift_lasts_its_wall_clock_length(data: st.DataObject, zone: str) -> None:
    """12 h of wall-clock time: 11 h of real time across the spring change, 13 h in autumn."""
    plan_layer = data.draw(layers(zone))
    at = data.draw(instants(zone))
    shift = plan_layer.shift_at(at)
    assume(shift is not None and shift.start > plan_layer.begins_at)
    assert shift is not None
    tz = ZoneInfo(zone)
    walls = (
        plan_layer.anchor + shift.index * plan_layer.shift_length,
        plan_layer.anchor + (shift.index + 1) * plan_layer.shift_length,
    )
    # Boundaries in a skipped hour follow the jump rule, checked elsewhere.
    assume(
        all(local_to_utc(wall, tz).astimezone(tz).replace(tzinfo=None) == wall for wall in walls)
    )
    start_offset = shift.start.astimezone(tz).utcoffset()
    end_offset = shift.end.astimezone(tz).utcoffset()
    assert start_offset is not None
    assert end_offset is not None
    assert shift.end - shift.start == plan_layer.shift_length - (end_offset - start_offset)


@PROPERTY_SETTINGS
@given(data=st.data(), zone=zones)
def test_people_take_turns_in_order(data: st.DataObject, zone: str) -> None:
    plan_layer = data.draw(layers(zone))
    at = data.draw(instants(zone))
    shift = plan_layer.shift_at(at)
    assume(shift is not None)
    assert shift is not None
    following = plan_layer.shift(shift.index + 1)
    position = plan_layer.people.index(shift.person)
    assert following.person == plan_layer.people[(position + 1) % len(plan_layer.people)]
    first = plan_layer.shift_at(plan_layer.begins_at)
    assert first is not None
    assert first.person == plan_layer.people[0]
    assert first.start == plan_layer.begins_at


@PROPERTY_SETTINGS
@given(
    data=st.data(),
    zone=zones,
    opens=st.integers(0, 23),
    length=st.integers(1, 23),
    weekdays=st.frozensets(st.integers(0, 6), min_size=1),
)
def test_a_higher_layer_wins_exactly_inside_its_windows(
    data: st.DataObject, zone: str, opens: int, length: int, weekdays: frozenset[int]
) -> None:
    base = data.draw(layers(zone))
    window = DailyWindow(weekdays=weekdays, start=time(opens), end=time((opens + length) % 24))
    top = replace(data.draw(layers(zone)), name="top", people=("x", "y"), windows=(window,))
    plan = plan_of(base, top, zone=zone)
    at = data.draw(instants(zone))
    found = who_is_on_duty(plan, "post", at)
    expected_layer = base
    if top.applies_at(at) and at >= top.begins_at:
        expected_layer = top
    expected = expected_layer.shift_at(at)
    if expected is None:
        assert found is None
        return
    assert found is not None
    assert (found.person, found.layer) == (expected.person, expected_layer.name)
    assert found.start <= at < found.end
    assert expected.start <= found.start
    assert found.end <= expected.end


@PROPERTY_SETTINGS
@given(data=st.data(), zone=zones, hours=st.integers(1, 72), offset=st.integers(-48, 48))
def test_an_override_wins_exactly_during_its_span(
    data: st.DataObject, zone: str, hours: int, offset: int
) -> None:
    base = data.draw(layers(zone))
    at = data.draw(instants(zone))
    start = at + timedelta(hours=offset, minutes=data.draw(st.integers(0, 59)))
    override = OverridePlan("o", "post", "standin", start, start + timedelta(hours=hours))
    without = who_is_on_duty(plan_of(base, zone=zone), "post", at)
    with_override = who_is_on_duty(plan_of(base, overrides=(override,), zone=zone), "post", at)
    if override.start <= at < override.end:
        assert with_override is not None
        assert with_override.person == "standin"
        assert with_override.source == "override"
        assert (with_override.start, with_override.end) == (override.start, override.end)
    else:
        assert (with_override is None) == (without is None)
        if with_override is not None and without is not None:
            assert with_override.person == without.person
            assert with_override.layer == without.layer
            # The override may cut the shift's stretch, never lengthen it.
            assert without.start <= with_override.start
            assert with_override.end <= without.end


@PROPERTY_SETTINGS
@given(data=st.data(), zone=zones, distance=st.integers(1, 12))
def test_a_swap_exchanges_exactly_two_shifts(data: st.DataObject, zone: str, distance: int) -> None:
    base = data.draw(layers(zone))
    assume(len(base.people) >= 2)
    at = data.draw(instants(zone))
    first = base.shift_at(at)
    assume(first is not None)
    assert first is not None
    second = base.shift(first.index + distance)
    assume(second.person != first.person and second.end > second.start)
    swap = SwapPlan("s", "post", "base", first.person, first.start, second.person, second.start)
    assert swap_error(base, swap) is None
    swapped = replace(base, swaps={first.start: second.person, second.start: first.person})
    for index in range(first.index - 2, second.index + 3):
        before, after = base.shift(index), swapped.shift(index)
        if index == first.index:
            assert after.person == second.person
            assert after.swapped
        elif index == second.index:
            assert after.person == first.person
            assert after.swapped
        else:
            assert after == before


@PROPERTY_SETTINGS
@given(data=st.data(), zone=zones)
def test_who_and_next_agree_with_the_timeline(data: st.DataObject, zone: str) -> None:
    base = data.draw(layers(zone))
    plan = plan_of(base, zone=zone)
    at = data.draw(instants(zone))
    assume(at >= base.begins_at)
    current = who_is_on_duty(plan, "post", at)
    assert current is not None
    upcoming = next_on_duty(plan, "post", at)
    assert upcoming is not None
    assert upcoming.start == current.end
    assert who_is_on_duty(plan, "post", upcoming.start) == upcoming
    timeline = stretches(plan, "post", current.start, upcoming.end)
    assert timeline == [current, upcoming]
