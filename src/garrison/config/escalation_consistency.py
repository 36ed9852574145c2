"""Checks of the `escalation` and `notifications` sections against the organisation.

Policies have unique ids; rules and the default name existing policies; targets
name existing posts, people and units; a role target names a role someone of that
unit has; a unit-leader target names a unit with a leader; per-person notification
settings name existing people, once each. Each problem is a field path and a
translated message; ``find_inconsistencies`` turns them into file:line errors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from garrison.config.escalation import OnDutyTarget, PersonTarget, RoleTarget, UnitLeaderTarget
from garrison.config.models import EventConfig
from garrison.config.positions import Loc, format_path
from garrison.i18n import gettext as _

Problem = tuple[Loc, str]
_Quote = Callable[[Loc, str], str]


def escalation_problems(config: EventConfig, quote: _Quote) -> Iterator[Problem]:
    """Every problem of the escalation and notifications sections, as (field path, message)."""
    yield from _policy_problems(config, quote)
    yield from _rule_problems(config, quote)
    yield from _target_problems(config, quote)
    yield from _people_settings_problems(config, quote)


def _policy_problems(config: EventConfig, quote: _Quote) -> Iterator[Problem]:
    first_seen: dict[str, Loc] = {}
    for index, policy in enumerate(config.escalation.policies):
        loc: Loc = ("escalation", "policies", index, "id")
        first = first_seen.setdefault(policy.id, loc)
        if first != loc:
            message = _("duplicate id {id}: {other} already uses it").format(
                id=quote(loc, policy.id), other=format_path(first[:-1])
            )
            yield loc, message
    default = config.escalation.default_policy
    if default is not None and default not in first_seen:
        loc = ("escalation", "default_policy")
        yield loc, _unknown_policy(quote(loc, default))


def _unknown_policy(shown: str) -> str:
    return _("no escalation policy has the id {id}").format(id=shown)


def _rule_problems(config: EventConfig, quote: _Quote) -> Iterator[Problem]:
    policies = {policy.id for policy in config.escalation.policies}
    services = {service.id for service in config.services}
    units = {unit.id for unit in config.organisation.units}
    for index, rule in enumerate(config.escalation.rules):
        loc: Loc = ("escalation", "rules", index)
        if rule.policy not in policies:
            yield (*loc, "policy"), _unknown_policy(quote((*loc, "policy"), rule.policy))
        for position, service_id in enumerate(rule.services):
            item: Loc = (*loc, "services", position)
            if service_id not in services:
                message = _("no service has the id {id}").format(id=quote(item, service_id))
                yield item, message
        for position, unit_id in enumerate(rule.units):
            item = (*loc, "units", position)
            if unit_id not in units:
                yield item, _unknown_unit(quote(item, unit_id))


def _unknown_unit(shown: str) -> str:
    return _("no unit has the id {id}").format(id=shown)


def _target_problems(config: EventConfig, quote: _Quote) -> Iterator[Problem]:
    organisation = config.organisation
    posts = {post.id for post in organisation.posts}
    people = {person.id for person in organisation.people}
    leaders = {unit.id: unit.leader for unit in organisation.units}
    roles = {(person.unit, person.role.value) for person in organisation.people}
    for p_index, policy in enumerate(config.escalation.policies):
        for s_index, step in enumerate(policy.steps):
            for t_index, target in enumerate(step.targets):
                loc: Loc = ("escalation", "policies", p_index, "steps", s_index)
                loc = (*loc, "targets", t_index)
                if isinstance(target, OnDutyTarget) and target.post not in posts:
                    item: Loc = (*loc, "post")
                    yield item, _("no post has the id {id}").format(id=quote(item, target.post))
                elif isinstance(target, PersonTarget) and target.person not in people:
                    item = (*loc, "person")
                    yield item, _unknown_person(quote(item, target.person))
                elif isinstance(target, RoleTarget):
                    yield from _role_problems(target, loc, leaders, roles, quote)
                elif isinstance(target, UnitLeaderTarget) and target.unit is not None:
                    item = (*loc, "unit")
                    if target.unit not in leaders:
                        yield item, _unknown_unit(quote(item, target.unit))
                    elif leaders[target.unit] is None:
                        message = _("unit {id} has no leader").format(id=quote(item, target.unit))
                        yield item, message


def _unknown_person(shown: str) -> str:
    return _("no person has the id {id}").format(id=shown)


def _role_problems(
    target: RoleTarget,
    loc: Loc,
    units: dict[str, str | None],
    roles: set[tuple[str, str]],
    quote: _Quote,
) -> Iterator[Problem]:
    if target.unit not in units:
        item: Loc = (*loc, "unit")
        yield item, _unknown_unit(quote(item, target.unit))
    elif (target.unit, target.role.value) not in roles:
        item = (*loc, "role")
        message = _("nobody in unit {unit} has the role {role}").format(
            unit=quote((*loc, "unit"), target.unit), role=quote(item, target.role.value)
        )
        yield item, message


def _people_settings_problems(config: EventConfig, quote: _Quote) -> Iterator[Problem]:
    people = {person.id for person in config.organisation.people}
    first_seen: dict[str, Loc] = {}
    for index, settings in enumerate(config.notifications.people):
        loc: Loc = ("notifications", "people", index, "person")
        if settings.person not in people:
            yield loc, _unknown_person(quote(loc, settings.person))
            continue
        first = first_seen.setdefault(settings.person, loc)
        if first != loc:
            message = _("person {id} already has settings at {other}").format(
                id=quote(loc, settings.person), other=format_path(first[:-1])
            )
            yield loc, message
