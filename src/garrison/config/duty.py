"""The `duty` section: rotations per post (with layers), one-off overrides and swaps.

Times are the event's local wall-clock time; naive datetimes are read in
``event.timezone`` when the duty plan is built (``garrison.duty.plan``). The
references to posts and people are checked in
:mod:`garrison.config.duty_consistency`.
"""

from __future__ import annotations

from datetime import date, time
from typing import Annotated

from pydantic import Field, model_validator

from garrison.config.checks import Weekday
from garrison.config.fields import EventTime, Identifier, Text
from garrison.config.models_base import FrozenModel
from garrison.i18n import gettext as _

MAX_PEOPLE_PER_LAYER = 200
MAX_LAYERS = 10
MAX_ROTATIONS = 500
MAX_OVERRIDES = 2000
MAX_SWAPS = 2000
ALL_DAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

ShiftHours = Annotated[
    float,
    Field(
        ge=1,
        le=168,
        multiple_of=0.25,
        description="Hours per shift (1 to 168, in steps of 15 minutes), e.g. 8 or 12.",
    ),
]
People = Annotated[
    tuple[Identifier, ...],
    Field(
        min_length=1,
        max_length=MAX_PEOPLE_PER_LAYER,
        description="Person ids in rotation order; shift n goes to person n modulo the list.",
    ),
]


class TimeRestriction(FrozenModel):
    """A daily window, local wall-clock time, on the given weekdays (the day the window opens)."""

    days: tuple[Weekday, ...] = ALL_DAYS
    start_time: time
    end_time: time = Field(description="May be earlier than start_time: the window ends next day.")

    @model_validator(mode="after")
    def _not_empty(self) -> TimeRestriction:
        if self.start_time == self.end_time:
            raise ValueError(_("start_time and end_time must differ"))
        if not self.days:
            raise ValueError(_("name at least one day"))
        return self


class _ShiftPattern(FrozenModel):
    shift_length: ShiftHours
    handoff_time: time = Field(
        description="Local wall-clock time of a handoff, e.g. 07:00; shifts follow every "
        "shift_length hours of wall-clock time."
    )
    people: People
    start: date | None = Field(
        default=None,
        description="Date of the first handoff (at handoff_time). Default: the rotation starts "
        "when the operation starts (end of the preparation phase, else the event start).",
    )


class DutyLayer(_ShiftPattern):
    """A layer above the post's base rotation; it wins wherever its restrictions allow."""

    name: Identifier
    restrictions: tuple[TimeRestriction, ...] = Field(
        default=(),
        max_length=50,
        description="Daily windows where this layer applies; none means always.",
    )


class Rotation(_ShiftPattern):
    """The base rotation of one post (layer 'base'), and optional layers above it."""

    post: Identifier
    layers: tuple[DutyLayer, ...] = Field(
        default=(), max_length=MAX_LAYERS, description="Higher layers come later in the list."
    )


class DutyOverride(FrozenModel):
    """One person holds a post for a time span, whatever the rotation says."""

    person: Identifier
    post: Identifier
    start: EventTime
    end: EventTime
    reason: Text = ""

    @model_validator(mode="after")
    def _ordered(self) -> DutyOverride:
        if self.end <= self.start:
            raise ValueError(_("an override must end after it starts"))
        return self


class SwappedShift(FrozenModel):
    person: Identifier = Field(description="The person who holds the shift in the rotation.")
    shift_start: EventTime = Field(description="When the shift starts.")


class DutySwap(FrozenModel):
    """Two people exchange one shift each (on the same post and layer)."""

    post: Identifier
    layer: Identifier = Field(default="base", description="'base' or the name of a layer.")
    first: SwappedShift
    second: SwappedShift
    reason: Text = ""

    @model_validator(mode="after")
    def _two_people(self) -> DutySwap:
        if self.first.person == self.second.person:
            raise ValueError(_("a swap needs two different people"))
        if self.first.shift_start == self.second.shift_start:
            raise ValueError(_("a swap needs two different shifts"))
        return self


class DutySection(FrozenModel):
    rotations: tuple[Rotation, ...] = Field(default=(), max_length=MAX_ROTATIONS)
    overrides: tuple[DutyOverride, ...] = Field(default=(), max_length=MAX_OVERRIDES)
    swaps: tuple[DutySwap, ...] = Field(default=(), max_length=MAX_SWAPS)
    check_in_grace_minutes: int = Field(
        default=15,
        ge=1,
        le=240,
        description="Minutes after a shift starts before a missing check-in is reported.",
    )
    check_in_early_minutes: int = Field(
        default=30, ge=0, le=240, description="How early before a shift one may check in."
    )
    handover_grace_minutes: int = Field(
        default=120,
        ge=0,
        le=1440,
        description="How long after a shift ends its person may still write the handover note.",
    )
    commander_post: Identifier | None = Field(
        default=None, description="The post whose person on duty hears of missed check-ins."
    )
