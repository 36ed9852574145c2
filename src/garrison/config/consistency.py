"""Checks across sections: unique ids, references that resolve, no dependency cycles,
redundancy groups with a primary, event and phase times in order.

To check a new section, add a function to ``_CHECKS``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from garrison.config.duty_consistency import duty_problems
from garrison.config.escalation_consistency import escalation_problems
from garrison.config.models import EventConfig, PhaseId, RedundancyRole
from garrison.config.plans_consistency import plans_problems
from garrison.config.positions import Loc, format_path
from garrison.config.probe_consistency import probe_problems
from garrison.i18n import gettext as _

Quote = Callable[[Loc, str], str]
"""Shows the value found at a path in a message (the source map hides environment values)."""

_Target = Literal["unit", "person", "site", "service", "check"]
_PHASE_ORDER = {phase: index for index, phase in enumerate(PhaseId)}


@dataclass(frozen=True, slots=True)
class Inconsistency:
    loc: Loc
    message: str


class _Identified(Protocol):
    @property
    def id(self) -> str: ...


def plain_quote(loc: Loc, value: str) -> str:
    return f"'{value}'"


def find_inconsistencies(config: EventConfig, *, quote: Quote = plain_quote) -> list[Inconsistency]:
    found: list[Inconsistency] = []
    for check in _CHECKS:
        found.extend(check(config, quote))
    return found


def _collections(config: EventConfig) -> Iterator[tuple[Loc, Sequence[_Identified]]]:
    yield ("event", "phases"), config.event.phases
    yield ("organisation", "units"), config.organisation.units
    yield ("organisation", "people"), config.organisation.people
    yield ("organisation", "posts"), config.organisation.posts
    yield ("sites",), config.sites
    yield ("services",), config.services
    yield ("checks",), config.checks
    yield ("maintenance",), config.maintenance


def _duplicate_ids(config: EventConfig, quote: Quote) -> Iterator[Inconsistency]:
    for loc, items in _collections(config):
        first_seen: dict[str, Loc] = {}
        for index, item in enumerate(items):
            item_loc = (*loc, index)
            first = first_seen.setdefault(str(item.id), item_loc)
            if first != item_loc:
                message = _("duplicate id {id}: {other} already uses it").format(
                    id=quote((*item_loc, "id"), str(item.id)), other=format_path(first)
                )
                yield Inconsistency((*item_loc, "id"), message)


def _duplicate_usernames(config: EventConfig, quote: Quote) -> Iterator[Inconsistency]:
    first_seen: dict[str, Loc] = {}
    for index, person in enumerate(config.organisation.people):
        if person.username is None:
            continue
        person_loc: Loc = ("organisation", "people", index)
        first = first_seen.setdefault(person.username, person_loc)
        if first != person_loc:
            message = _("duplicate username {username}: {other} already uses it").format(
                username=quote((*person_loc, "username"), person.username),
                other=format_path(first),
            )
            yield Inconsistency((*person_loc, "username"), message)


def _references(config: EventConfig) -> Iterator[tuple[Loc, str, _Target]]:
    for index, unit in enumerate(config.organisation.units):
        if unit.leader is not None:
            yield ("organisation", "units", index, "leader"), unit.leader, "person"
    for index, person in enumerate(config.organisation.people):
        yield ("organisation", "people", index, "unit"), person.unit, "unit"
    for index, post in enumerate(config.organisation.posts):
        yield ("organisation", "posts", index, "unit"), post.unit, "unit"
        if post.site is not None:
            yield ("organisation", "posts", index, "site"), post.site, "site"
    for index, service in enumerate(config.services):
        yield ("services", index, "unit"), service.unit, "unit"
        if service.site is not None:
            yield ("services", index, "site"), service.site, "site"
        for position, dependency in enumerate(service.depends_on):
            yield ("services", index, "depends_on", position), dependency, "service"
    for index, check in enumerate(config.checks):
        if check.service is not None:
            yield ("checks", index, "service"), check.service, "service"
    for index, window in enumerate(config.maintenance):
        for position, service_id in enumerate(window.services):
            yield ("maintenance", index, "services", position), service_id, "service"
        for position, check_id in enumerate(window.checks):
            yield ("maintenance", index, "checks", position), check_id, "check"
    for service_id in config.probes.down_quorum:
        yield ("probes", "down_quorum", service_id), service_id, "service"
    for index, source in enumerate(config.detection.sources):
        if source.service is not None:
            yield ("detection", "sources", index, "service"), source.service, "service"


def _unknown_reference_message(target: _Target, reference: str) -> str:
    if target == "unit":
        return _("no unit has the id {id}").format(id=reference)
    if target == "person":
        return _("no person has the id {id}").format(id=reference)
    if target == "site":
        return _("no site has the id {id}").format(id=reference)
    if target == "check":
        return _("no check has the id {id}").format(id=reference)
    return _("no service has the id {id}").format(id=reference)


def _dangling_references(config: EventConfig, quote: Quote) -> Iterator[Inconsistency]:
    known: dict[_Target, set[str]] = {
        "unit": {unit.id for unit in config.organisation.units},
        "person": {person.id for person in config.organisation.people},
        "site": {site.id for site in config.sites},
        "service": {service.id for service in config.services},
        "check": {check.id for check in config.checks},
    }
    for loc, reference, target in _references(config):
        if reference not in known[target]:
            yield Inconsistency(loc, _unknown_reference_message(target, quote(loc, reference)))


def _dependency_lists(config: EventConfig, quote: Quote) -> Iterator[Inconsistency]:
    for index, service in enumerate(config.services):
        listed: set[str] = set()
        for position, dependency in enumerate(service.depends_on):
            loc: Loc = ("services", index, "depends_on", position)
            if dependency == service.id:
                yield Inconsistency(loc, _("a service cannot depend on itself"))
            elif dependency in listed:
                message = _("{id} is listed twice").format(id=quote(loc, dependency))
                yield Inconsistency(loc, message)
            listed.add(dependency)


def _dependency_cycles(config: EventConfig, quote: Quote) -> Iterator[Inconsistency]:
    index_of = {service.id: index for index, service in enumerate(config.services)}
    edges = {
        service.id: [
            (position, dependency)
            for position, dependency in enumerate(service.depends_on)
            if dependency in index_of and dependency != service.id
        ]
        for service in config.services
    }
    state: dict[str, Literal["active", "done"]] = {}
    for start, start_edges in edges.items():
        if start in state:
            continue
        # Iterative depth-first search: the path is the chain of services being explored.
        path: list[str] = [start]
        pending = [iter(start_edges)]
        state[start] = "active"
        while pending:
            step = next(pending[-1], None)
            if step is None:
                state[path.pop()] = "done"
                pending.pop()
                continue
            position, dependency = step
            if state.get(dependency) == "active":
                cycle = [*path[path.index(dependency) :], dependency]
                shown = " → ".join(
                    quote(("services", index_of[name], "id"), name) for name in cycle
                )
                loc: Loc = ("services", index_of[path[-1]], "depends_on", position)
                yield Inconsistency(loc, _("dependency cycle: {cycle}").format(cycle=shown))
            elif dependency not in state:
                state[dependency] = "active"
                path.append(dependency)
                pending.append(iter(edges[dependency]))


def _redundancy_groups(config: EventConfig, quote: Quote) -> Iterator[Inconsistency]:
    members: dict[str, list[tuple[int, RedundancyRole]]] = {}
    for index, service in enumerate(config.services):
        if service.redundancy is not None:
            entry = (index, service.redundancy.role)
            members.setdefault(service.redundancy.group, []).append(entry)
    for group, entries in members.items():
        if all(role != RedundancyRole.PRIMARY for _index, role in entries):
            loc: Loc = ("services", entries[0][0], "redundancy", "group")
            message = _("redundancy group {group} has no primary service").format(
                group=quote(loc, group)
            )
            yield Inconsistency(loc, message)


def _event_times(config: EventConfig, quote: Quote) -> Iterator[Inconsistency]:
    event = config.event
    if event.end <= event.start:
        yield Inconsistency(("event", "end"), _("the event must end after it starts"))
    previous = None
    for index, phase in enumerate(event.phases):
        loc: Loc = ("event", "phases", index)
        if phase.end <= phase.start:
            yield Inconsistency((*loc, "end"), _("the phase must end after it starts"))
        if previous is not None:
            if _PHASE_ORDER[phase.id] < _PHASE_ORDER[previous.id]:
                message = _("phases must be listed in the order preparation, operation, review")
                yield Inconsistency((*loc, "id"), message)
            elif phase.start < previous.end:
                message = _("the phase starts before the previous phase ({previous}) ends").format(
                    previous=previous.id.value
                )
                yield Inconsistency((*loc, "start"), message)
        previous = phase


_CHECKS: tuple[Callable[[EventConfig, Quote], Iterator[Inconsistency]], ...] = (
    _duplicate_ids,
    _duplicate_usernames,
    _dangling_references,
    _dependency_lists,
    _dependency_cycles,
    _redundancy_groups,
    _event_times,
    lambda config, quote: (Inconsistency(*found) for found in duty_problems(config, quote)),
    lambda config, quote: (Inconsistency(*found) for found in escalation_problems(config, quote)),
    lambda config, quote: (Inconsistency(*found) for found in probe_problems(config, quote)),
    lambda config, quote: (Inconsistency(*found) for found in plans_problems(config, quote)),
)
