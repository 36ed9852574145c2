r"""Which rules an event can match: routing by log source, then a multi-pattern prefilter.

Routing: a rule applies to an event when every part of the rule's log source that the
rule names (product, service, category) equals the event's. Events that are not plain
logs (``kind="auth_failure"``, …) are routed as log source ``product: garrison,
category: <kind>`` only, so that our correlations see them and SigmaHQ's rules for the
original product do not count them twice.

Prefilter: a rule that can only match when one of its literals (its needles) occurs in
the event is a candidate only if an Aho-Corasick scan of the event's lowered text finds
one; rules without needles are always candidates. A rule often offers several needle
sets (one per part of an AND); the index takes the set whose literals the fewest other
rules of the route use, as literals many rules name (``\cmd.exe``) are common in logs too.
"""

from __future__ import annotations

import collections
from collections.abc import Sequence

import ahocorasick

from garrison.detection.records import LogEvent, LogSource
from garrison.detection.sigma.model import CompiledRule
from garrison.detection.sigma.view import EventView

VIRTUAL_PRODUCT = "garrison"
# An event of the narrower category is also one of the wider (Sysmon registry events,
# Sysmon 26 "file delete detected" for the file_delete rules written for events 23 and 26).
CATEGORY_ALIASES: dict[str, tuple[str, ...]] = {
    "registry_add": ("registry_event",),
    "registry_delete": ("registry_event",),
    "registry_set": ("registry_event",),
    "registry_rename": ("registry_event",),
    "file_delete_detected": ("file_delete",),
}

RouteKey = tuple[str | None, str | None, str | None]


def route_key(event: LogEvent) -> RouteKey:
    if event.kind != "log":
        return (VIRTUAL_PRODUCT, None, event.kind.lower())
    source = event.logsource
    category = _lower(source.category)
    if category == "registry_add" and _is_registry_deletion(event):
        # Sysmon event 12 reports both creations and deletions of keys and values.
        category = "registry_delete"
    return (_lower(source.product), _lower(source.service), category)


def _is_registry_deletion(event: LogEvent) -> bool:
    kind = event.fields.get("EventType")
    return isinstance(kind, str) and kind.lower().startswith("delete")


def _lower(value: str | None) -> str | None:
    return value.lower() if value else None


def applies(rule_source: LogSource, key: RouteKey) -> bool:
    product, service, category = key
    if rule_source.product is not None and rule_source.product != product:
        return False
    if rule_source.service is not None and rule_source.service != service:
        return False
    if rule_source.category is not None and rule_source.category != category:
        return category is not None and rule_source.category in CATEGORY_ALIASES.get(category, ())
    return True


class CandidateIndex:
    """The rules of one route, and the automaton that picks candidates among them."""

    def __init__(self, rules: Sequence[CompiledRule], *, prefilter: bool = True) -> None:
        self.rules = tuple(rules)
        self.prefilter = prefilter and bool(self.rules)
        # Needles come from non-negated leaves: only their fields (and the keyword text)
        # need scanning, and lowering them here fills the view's cache for the rules.
        self.fields = tuple(
            sorted({leaf.field for rule in self.rules for leaf in rule.leaves if leaf.field})
        )
        self.scans_keywords = any(leaf.field is None for rule in self.rules for leaf in rule.leaves)
        self.chosen = _choose_needles(self.rules)
        self.always = tuple(i for i, needles in enumerate(self.chosen) if needles is None)
        self._automaton: ahocorasick.Automaton | None = None
        needles: dict[str, list[int]] = {}
        for position, chosen in enumerate(self.chosen):
            for needle in chosen or ():
                needles.setdefault(needle, []).append(position)
        if self.prefilter and needles:
            automaton = ahocorasick.Automaton()
            for needle, positions in needles.items():
                automaton.add_word(needle, tuple(positions))
            automaton.make_automaton()
            self._automaton = automaton

    def candidates(self, view: EventView) -> Sequence[CompiledRule]:
        if not self.prefilter:
            return self.rules
        automaton = self._automaton
        if automaton is None:
            return [self.rules[i] for i in self.always]
        parts: list[str] = []
        lowered = view.lowered
        for name in self.fields:
            value = lowered(name)
            if value is None:
                continue
            if isinstance(value, str):
                parts.append(value)
            else:
                parts.extend(value)
        if self.scans_keywords:
            parts.append(view.keyword_text())
        hits = set(self.always)
        for _end, positions in automaton.iter("\n".join(parts)):
            hits.update(positions)
        rules = self.rules
        return [rules[i] for i in sorted(hits)]


def _choose_needles(rules: Sequence[CompiledRule]) -> list[frozenset[str] | None]:
    popularity: collections.Counter[str] = collections.Counter()
    for rule in rules:
        popularity.update({needle for option in rule.needle_options for needle in option})

    def cost(option: frozenset[str]) -> tuple[int, int, int]:
        counts = [popularity[needle] for needle in option]
        return (max(counts), sum(counts), -min(len(needle) for needle in option))

    return [min(rule.needle_options, key=cost) if rule.needle_options else None for rule in rules]


class Router:
    """Builds (and keeps) the candidate index of each route on first use."""

    MAX_ROUTES = 1024

    def __init__(self, rules: Sequence[CompiledRule], *, prefilter: bool = True) -> None:
        self.rules = tuple(rules)
        self.prefilter = prefilter
        self._routes: dict[RouteKey, CandidateIndex] = {}

    def index_for(self, event: LogEvent) -> CandidateIndex:
        key = route_key(event)
        index = self._routes.get(key)
        if index is None:
            index = CandidateIndex(
                [rule for rule in self.rules if applies(rule.logsource, key)],
                prefilter=self.prefilter,
            )
            if len(self._routes) >= self.MAX_ROUTES:
                self._routes.clear()
            self._routes[key] = index
        return index
