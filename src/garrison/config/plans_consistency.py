"""Cross-checks of the readiness and reports sections against the rest of the configuration.

Apart from :mod:`garrison.config.plans` so that the section models never need the root model.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterator

from garrison.config.models import EventConfig
from garrison.config.plans import DrillInject
from garrison.config.positions import Loc
from garrison.i18n import gettext as _

Problem = tuple[Loc, str]
_Quote = Callable[[Loc, str], str]


def plans_problems(config: EventConfig, quote: _Quote) -> Iterator[Problem]:
    """Every problem of the readiness and reports sections, as (field path, message)."""
    services = {service.id for service in config.services}
    units = {unit.id for unit in config.organisation.units}
    people = {person.id for person in config.organisation.people}
    posts = {post.id for post in config.organisation.posts}
    section = config.readiness
    yield from _duplicates(("readiness", "plans"), [plan.id for plan in section.plans], quote)
    yield from _duplicates(
        ("readiness", "inspections"), [item.id for item in section.inspections], quote
    )
    yield from _duplicates(("readiness", "drills"), [drill.id for drill in section.drills], quote)
    for index, plan in enumerate(section.plans):
        loc: Loc = ("readiness", "plans", index)
        for field, ids in (("trigger", plan.trigger.services), ("priorities", plan.priorities)):
            base: Loc = (*loc, field, "services") if field == "trigger" else (*loc, field)
            for position, service_id in enumerate(ids):
                yield from _unknown((*base, position), service_id, services, "service", quote)
        if plan.unit is not None:
            yield from _unknown((*loc, "unit"), plan.unit, units, "unit", quote)
    plan_ids = {plan.id for plan in section.plans}
    for index, drill in enumerate(section.drills):
        for position, inject in enumerate(drill.injects):
            loc = ("readiness", "drills", index, "injects", position)
            if inject.service is not None:
                yield from _unknown((*loc, "service"), inject.service, services, "service", quote)
            if inject.post is not None:
                yield from _unknown((*loc, "post"), inject.post, posts, "post", quote)
            if inject.expected.plan is not None:
                plan_loc: Loc = (*loc, "expected", "plan")
                yield from _unknown(plan_loc, inject.expected.plan, plan_ids, "plan", quote)
            yield from _detection_problems(loc, inject, quote)
    for position, person_id in enumerate(config.reports.recipients):
        loc = ("reports", "recipients", position)
        yield from _unknown(loc, person_id, people, "person", quote)
    if config.reports.contact_person is not None:
        loc = ("reports", "contact_person")
        yield from _unknown(loc, config.reports.contact_person, people, "person", quote)


def _detection_problems(loc: Loc, inject: DrillInject, quote: _Quote) -> Iterator[Problem]:
    """A detection inject's events: one kind of them, from an address that parses."""
    if inject.source_address is not None:
        try:
            ipaddress.ip_address(inject.source_address)
        except ValueError:
            address_loc: Loc = (*loc, "source_address")
            yield (
                address_loc,
                _("{value} is not an IP address").format(
                    value=quote(address_loc, inject.source_address)
                ),
            )
    detection = inject.detection
    if detection is None:
        return
    detection_loc: Loc = (*loc, "detection")
    if inject.kind != "detection":
        yield detection_loc, _("only an inject of kind detection has detection events")
        return
    if (detection.auth_failures is None) == (detection.event is None):
        yield detection_loc, _("give either auth_failures or event, not both nor neither")
    if detection.auth_failures is not None and inject.source_address is None:
        failures_loc: Loc = (*detection_loc, "auth_failures")
        yield failures_loc, _("failed logins need the inject's source_address")


def _unknown(loc: Loc, value: str, known: set[str], kind: str, quote: _Quote) -> Iterator[Problem]:
    if value not in known:
        yield loc, _("no {kind} has the id {id}").format(kind=kind, id=quote(loc, value))


def _duplicates(base: Loc, ids: list[str], quote: _Quote) -> Iterator[Problem]:
    seen: set[str] = set()
    for index, item_id in enumerate(ids):
        loc: Loc = (*base, index, "id")
        if item_id in seen:
            yield loc, _("duplicate id {id}").format(id=quote(loc, item_id))
        seen.add(item_id)
