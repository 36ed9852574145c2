"""Checks of the `duty` section against the rest of the configuration.

Posts and people named by rotations, layers, overrides and swaps must exist; a
post has at most one rotation; layer names are unique within their rotation.
Each problem is a field path and a translated message; ``find_inconsistencies``
turns them into file:line errors. Whether a swap names shifts its people really
hold is schedule arithmetic, checked by ``garrison duty check``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from garrison.config.models import EventConfig
from garrison.config.positions import Loc, format_path
from garrison.i18n import gettext as _

BASE_LAYER = "base"

DutyProblem = tuple[Loc, str]
_Quote = Callable[[Loc, str], str]


def duty_problems(config: EventConfig, quote: _Quote) -> Iterator[DutyProblem]:
    """Every problem of the duty section, as (field path, message)."""
    posts = {post.id for post in config.organisation.posts}
    people = {person.id for person in config.organisation.people}
    yield from _rotation_problems(config, quote, posts, people)
    yield from _override_problems(config, quote, posts, people)
    yield from _swap_problems(config, quote, posts, people)
    commander = config.duty.commander_post
    if commander is not None and commander not in posts:
        loc: Loc = ("duty", "commander_post")
        yield loc, _unknown_post(quote(loc, commander))


def _unknown_post(shown: str) -> str:
    return _("no post has the id {id}").format(id=shown)


def _unknown_person(shown: str) -> str:
    return _("no person has the id {id}").format(id=shown)


def _people_problems(
    loc: Loc, names: tuple[str, ...], people: set[str], quote: _Quote
) -> Iterator[DutyProblem]:
    for position, person in enumerate(names):
        person_loc = (*loc, position)
        if person not in people:
            yield person_loc, _unknown_person(quote(person_loc, person))


def _rotation_problems(
    config: EventConfig, quote: _Quote, posts: set[str], people: set[str]
) -> Iterator[DutyProblem]:
    first_rotation: dict[str, Loc] = {}
    for index, rotation in enumerate(config.duty.rotations):
        loc: Loc = ("duty", "rotations", index)
        post_loc = (*loc, "post")
        if rotation.post not in posts:
            yield post_loc, _unknown_post(quote(post_loc, rotation.post))
        first = first_rotation.setdefault(rotation.post, loc)
        if first != loc:
            message = _("post {id} already has a rotation at {other}; use layers instead").format(
                id=quote(post_loc, rotation.post), other=format_path(first)
            )
            yield post_loc, message
        yield from _people_problems((*loc, "people"), rotation.people, people, quote)
        names: set[str] = {BASE_LAYER}
        for layer_index, layer in enumerate(rotation.layers):
            layer_loc: Loc = (*loc, "layers", layer_index)
            if layer.name in names:
                name_loc = (*layer_loc, "name")
                message = _("layer name {name} is used twice in this rotation").format(
                    name=quote(name_loc, layer.name)
                )
                yield name_loc, message
            names.add(layer.name)
            yield from _people_problems((*layer_loc, "people"), layer.people, people, quote)


def _override_problems(
    config: EventConfig, quote: _Quote, posts: set[str], people: set[str]
) -> Iterator[DutyProblem]:
    for index, override in enumerate(config.duty.overrides):
        loc: Loc = ("duty", "overrides", index)
        if override.post not in posts:
            yield (*loc, "post"), _unknown_post(quote((*loc, "post"), override.post))
        if override.person not in people:
            yield (*loc, "person"), _unknown_person(quote((*loc, "person"), override.person))


def _swap_problems(
    config: EventConfig, quote: _Quote, posts: set[str], people: set[str]
) -> Iterator[DutyProblem]:
    layers = {
        rotation.post: {BASE_LAYER, *(layer.name for layer in rotation.layers)}
        for rotation in config.duty.rotations
    }
    for index, swap in enumerate(config.duty.swaps):
        loc: Loc = ("duty", "swaps", index)
        post_loc = (*loc, "post")
        if swap.post not in posts:
            yield post_loc, _unknown_post(quote(post_loc, swap.post))
        elif swap.post not in layers:
            message = _("post {id} has no rotation to swap shifts in").format(
                id=quote(post_loc, swap.post)
            )
            yield post_loc, message
        elif swap.layer not in layers[swap.post]:
            layer_loc = (*loc, "layer")
            message = _("the rotation of post {post} has no layer {layer}").format(
                post=quote(post_loc, swap.post), layer=quote(layer_loc, swap.layer)
            )
            yield layer_loc, message
        for side in ("first", "second"):
            person_loc: Loc = (*loc, side, "person")
            person = swap.first.person if side == "first" else swap.second.person
            if person not in people:
                yield person_loc, _unknown_person(quote(person_loc, person))
