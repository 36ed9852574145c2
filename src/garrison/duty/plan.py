"""The duty plan: the configuration's rotations, overrides and swaps, plus the ones added
at run time, turned into layers ready for arithmetic. Building it is pure.

Precedence on a post, highest first: overrides (a later one over an earlier one;
run-time ones after the configuration's), then layers from the last listed down to
the base rotation, where a layer applies only inside its restriction windows.
Swaps change who holds two shifts of one layer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from garrison.config.duty import DutyLayer, Rotation
from garrison.config.duty_consistency import BASE_LAYER
from garrison.config.fields import as_utc
from garrison.config.models import EventConfig, PhaseId
from garrison.duty.rotation import DailyWindow, LayerPlan, local_to_utc, make_layer
from garrison.i18n import gettext as _

_WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


@dataclass(frozen=True, slots=True)
class OverridePlan:
    """One person holds ``post`` over ``[start, end)``; ``key`` says where it comes from."""

    key: str
    post: str
    person: str
    start: datetime
    end: datetime
    reason: str = ""


@dataclass(frozen=True, slots=True)
class SwapPlan:
    """``first_person``'s shift at ``first_start`` and ``second_person``'s at ``second_start``
    change hands."""

    key: str
    post: str
    layer: str
    first_person: str
    first_start: datetime
    second_person: str
    second_start: datetime
    reason: str = ""


@dataclass(frozen=True, slots=True)
class PostPlan:
    post: str
    layers: tuple[LayerPlan, ...] = ()
    """Lowest first: the base rotation, then its layers in configuration order."""
    overrides: tuple[OverridePlan, ...] = ()
    """Lowest priority first."""

    def layer(self, name: str) -> LayerPlan | None:
        return next((layer for layer in self.layers if layer.name == name), None)


@dataclass(frozen=True, slots=True)
class PlanProblem:
    """Something of the plan that could not be applied (e.g. a swap of a shift nobody holds)."""

    source: str
    message: str


@dataclass(frozen=True, slots=True)
class DutyPlan:
    zone: ZoneInfo
    posts: Mapping[str, PostPlan]
    """Every post of the organisation, with or without a rotation."""
    window_start: datetime
    window_end: datetime
    """The operation window: every post must be staffed throughout."""
    problems: tuple[PlanProblem, ...] = ()


def operation_window(config: EventConfig) -> tuple[datetime, datetime]:
    """The operation phase if the event lists one, else the event's start and end."""
    for phase in config.event.phases:
        if phase.id == PhaseId.OPERATION:
            return phase.start, phase.end
    return config.event.start, config.event.end


def rotation_begins_at(config: EventConfig) -> datetime:
    """When a rotation without ``start`` begins: the end of preparation, else the event start."""
    for phase in config.event.phases:
        if phase.id == PhaseId.PREPARATION:
            return phase.end
    return config.event.start


def build_plan(
    config: EventConfig,
    *,
    overrides: Sequence[OverridePlan] = (),
    swaps: Sequence[SwapPlan] = (),
) -> DutyPlan:
    """The plan of ``config`` with run-time ``overrides`` and ``swaps`` applied after its own."""
    zone = config.event.zone
    default_begin = rotation_begins_at(config)
    rotations: dict[str, Rotation] = {}
    for configured in config.duty.rotations:
        rotations.setdefault(configured.post, configured)
    all_overrides = [*_config_overrides(config, zone), *overrides]
    posts: dict[str, PostPlan] = {}
    for post in config.organisation.posts:
        rotation = rotations.get(post.id)
        layers = () if rotation is None else _layers(rotation, zone, default_begin)
        posts[post.id] = PostPlan(
            post=post.id,
            layers=layers,
            overrides=tuple(o for o in all_overrides if o.post == post.id),
        )
    problems: list[PlanProblem] = []
    posts = _apply_swaps(posts, [*_config_swaps(config, zone), *swaps], zone, problems)
    window_start, window_end = operation_window(config)
    return DutyPlan(
        zone=zone,
        posts=posts,
        window_start=window_start,
        window_end=window_end,
        problems=tuple(problems),
    )


def _layers(rotation: Rotation, zone: ZoneInfo, default_begin: datetime) -> tuple[LayerPlan, ...]:
    patterns: list[tuple[str, Rotation | DutyLayer]] = [(BASE_LAYER, rotation)]
    patterns.extend((layer.name, layer) for layer in rotation.layers)
    built: list[LayerPlan] = []
    for name, pattern in patterns:
        if pattern.start is not None:
            first_handoff = datetime.combine(pattern.start, pattern.handoff_time)
            begins_at = local_to_utc(first_handoff, zone)
            anchor_day = pattern.start
        else:
            begins_at = default_begin
            anchor_day = default_begin.astimezone(zone).date()
        windows: tuple[DailyWindow, ...] = ()
        if isinstance(pattern, DutyLayer):
            windows = tuple(
                DailyWindow(
                    weekdays=frozenset(_WEEKDAYS[day] for day in restriction.days),
                    start=restriction.start_time,
                    end=restriction.end_time,
                )
                for restriction in pattern.restrictions
            )
        built.append(
            make_layer(
                name=name,
                zone=zone,
                shift_hours=pattern.shift_length,
                handoff_time=pattern.handoff_time,
                people=pattern.people,
                begins_at=begins_at,
                anchor_day=anchor_day,
                windows=windows,
            )
        )
    return tuple(built)


def _config_overrides(config: EventConfig, zone: ZoneInfo) -> Iterable[OverridePlan]:
    for index, override in enumerate(config.duty.overrides):
        yield OverridePlan(
            key=f"duty.overrides[{index}]",
            post=override.post,
            person=override.person,
            start=as_utc(override.start, zone),
            end=as_utc(override.end, zone),
            reason=override.reason,
        )


def _config_swaps(config: EventConfig, zone: ZoneInfo) -> Iterable[SwapPlan]:
    for index, swap in enumerate(config.duty.swaps):
        yield SwapPlan(
            key=f"duty.swaps[{index}]",
            post=swap.post,
            layer=swap.layer,
            first_person=swap.first.person,
            first_start=as_utc(swap.first.shift_start, zone),
            second_person=swap.second.person,
            second_start=as_utc(swap.second.shift_start, zone),
            reason=swap.reason,
        )


def _apply_swaps(
    posts: dict[str, PostPlan],
    swaps: Sequence[SwapPlan],
    zone: ZoneInfo,
    problems: list[PlanProblem],
) -> dict[str, PostPlan]:
    for swap in swaps:
        post = posts.get(swap.post)
        layer = None if post is None else post.layer(swap.layer)
        if post is None or layer is None:
            message = _("post {post} has no rotation layer {layer}").format(
                post=swap.post, layer=swap.layer
            )
            problems.append(PlanProblem(swap.key, message))
            continue
        error = swap_error(layer, swap)
        if error is not None:
            field, message = error
            problems.append(PlanProblem(f"{swap.key}.{field}", message))
            continue
        exchanged = {
            **layer.swaps,
            swap.first_start: swap.second_person,
            swap.second_start: swap.first_person,
        }
        layers = tuple(
            replace(item, swaps=exchanged) if item is layer else item for item in post.layers
        )
        posts[swap.post] = replace(post, layers=layers)
    return posts


def swap_error(layer: LayerPlan, swap: SwapPlan) -> tuple[str, str] | None:
    """Why ``swap`` cannot apply to ``layer`` as (field, message), or None when both shifts
    are held as it says."""
    sides = (
        ("first", swap.first_person, swap.first_start),
        ("second", swap.second_person, swap.second_start),
    )
    for side, person, start in sides:
        shown = format_local(start, layer.zone)
        shift = layer.shift(layer.index_at(start)) if start >= layer.begins_at else None
        if shift is None or shift.start != start or shift.end <= shift.start:
            message = _("no shift of layer {layer} starts at {start}").format(
                layer=layer.name, start=shown
            )
            return f"{side}.shift_start", message
        if start in layer.swaps:
            message = _("the shift starting at {start} is already swapped").format(start=shown)
            return f"{side}.shift_start", message
        if layer.rotation_person(shift.index) != person:
            message = _("{person} does not hold the shift starting at {start}").format(
                person=person, start=shown
            )
            return f"{side}.person", message
    return None


def format_local(at: datetime, zone: ZoneInfo) -> str:
    """An instant in the event's time zone, with its offset: ``2026-10-12 07:00+07:00``."""
    return at.astimezone(zone).isoformat(sep=" ", timespec="minutes")
