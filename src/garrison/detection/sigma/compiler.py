"""A Sigma condition tree (as pySigma parses it) compiled into one Python predicate.

The tree is walked once, at load: what runs per event is a nest of closures, with the
values of one field in one OR merged into a single test (``Image|endswith`` with forty
suffixes is one ``str.endswith(tuple)``). The compiler also works out sets of literals
of which one must occur in an event for the condition to hold (the prefilter's needle
options: an AND offers each part's set; the candidate index picks the rarest) and keeps
the leaves that are not negated, to tell which fields matched.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sigma.conditions import (
    ConditionAND,
    ConditionFieldEqualsValueExpression,
    ConditionItem,
    ConditionNOT,
    ConditionOR,
    ConditionValueExpression,
)
from sigma.rule.detection import SigmaDetections

from garrison.detection.sigma.leaves import (
    Leaf,
    Needles,
    Predicate,
    UnsupportedValue,
    expand_placeholders,
    field_leaf,
    keyword_leaf,
)
from garrison.detection.sigma.view import EventView

Node = ConditionItem | ConditionFieldEqualsValueExpression | ConditionValueExpression | None
# Each option is a set of literals one of which must occur; any option will do.
NeedleOptions = tuple[frozenset[str], ...]
MAX_OPTIONS = 16


@dataclass(frozen=True, slots=True)
class CompiledCondition:
    predicate: Predicate
    needle_options: NeedleOptions  # empty: the condition may hold without any literal
    leaves: tuple[Leaf, ...]  # not under a NOT: their truth explains a match
    uses_keywords: bool = False


class _Compiler:
    def __init__(self, placeholders: Mapping[str, Sequence[str]]) -> None:
        self.placeholders = placeholders
        self.leaves: list[Leaf] = []
        self.uses_keywords = False

    def compile(self, node: Node, *, negated: bool = False) -> tuple[Predicate, NeedleOptions]:
        if isinstance(node, ConditionAND):
            parts = [self.compile(arg, negated=negated) for arg in node.args]
            return _all_of([p for p, _n in parts]), _and_options([n for _p, n in parts])
        if isinstance(node, ConditionOR):
            return self._compile_or(node, negated=negated)
        if isinstance(node, ConditionNOT):
            inner, _needles = self.compile(node.args[0], negated=not negated)
            return (lambda view: not inner(view)), ()
        if isinstance(node, ConditionFieldEqualsValueExpression | ConditionValueExpression):
            return self._leaf([node], negated=negated)
        if node is None:
            raise UnsupportedValue("the condition is empty")
        raise UnsupportedValue(f"condition element {type(node).__name__} is not supported")

    def _compile_or(self, node: ConditionOR, *, negated: bool) -> tuple[Predicate, NeedleOptions]:
        # Values of one field (or keywords) side by side in an OR become one merged leaf.
        groups: dict[
            str | None, list[ConditionFieldEqualsValueExpression | ConditionValueExpression]
        ]
        groups = {}
        others: list[Node] = []
        for arg in node.args:
            if isinstance(arg, ConditionFieldEqualsValueExpression):
                groups.setdefault(arg.field, []).append(arg)
            elif isinstance(arg, ConditionValueExpression):
                groups.setdefault(None, []).append(arg)
            else:
                others.append(arg)
        parts = [self._leaf(items, negated=negated) for items in groups.values()]
        parts.extend(self.compile(arg, negated=negated) for arg in others)
        return _any_of([p for p, _n in parts]), _or_options([n for _p, n in parts])

    def _leaf(
        self,
        nodes: Sequence[ConditionFieldEqualsValueExpression | ConditionValueExpression],
        *,
        negated: bool,
    ) -> tuple[Predicate, NeedleOptions]:
        values = expand_placeholders([node.value for node in nodes], self.placeholders)
        first = nodes[0]
        if isinstance(first, ConditionFieldEqualsValueExpression):
            leaf = field_leaf(first.field, values)
        else:
            leaf = keyword_leaf(values)
            self.uses_keywords = True
        if not negated:
            self.leaves.append(leaf)
        return leaf.predicate, _leaf_options(leaf.needles)


def compile_detections(
    detections: SigmaDetections, *, placeholders: Mapping[str, Sequence[str]]
) -> CompiledCondition:
    """Compile a rule's (or a filter's) conditions; several conditions are OR-ed."""
    compiler = _Compiler(placeholders)
    parts = [compiler.compile(condition.parsed) for condition in detections.parsed_condition]
    predicate = _any_of([p for p, _n in parts])
    return CompiledCondition(
        predicate,
        _or_options([n for _p, n in parts]),
        tuple(compiler.leaves),
        uses_keywords=compiler.uses_keywords,
    )


def _all_of(predicates: Sequence[Predicate]) -> Predicate:
    if len(predicates) == 1:
        return predicates[0]
    if len(predicates) == 2:
        first, second = predicates
        return lambda view: first(view) and second(view)
    chosen = tuple(predicates)

    def all_predicate(view: EventView) -> bool:
        for predicate in chosen:  # noqa: SIM110 - faster than any() on the hot path
            if not predicate(view):
                return False
        return True

    return all_predicate


def _any_of(predicates: Sequence[Predicate]) -> Predicate:
    if len(predicates) == 1:
        return predicates[0]
    if len(predicates) == 2:
        first, second = predicates
        return lambda view: first(view) or second(view)
    chosen = tuple(predicates)

    def any_predicate(view: EventView) -> bool:
        for predicate in chosen:  # noqa: SIM110 - faster than any() on the hot path
            if predicate(view):
                return True
        return False

    return any_predicate


def _leaf_options(needles: Needles) -> NeedleOptions:
    return (needles,) if needles else ()


def _and_options(parts: Sequence[NeedleOptions]) -> NeedleOptions:
    """Any part's option will do for an AND; keep the longest-looking ones."""
    options = {option for part in parts for option in part}
    return tuple(sorted(options, key=_local_rank)[:MAX_OPTIONS])


def _or_options(parts: Sequence[NeedleOptions]) -> NeedleOptions:
    """An OR needs one literal of every branch: unions of one option per branch."""
    if any(not part for part in parts):
        return ()
    combined: list[frozenset[str]] = [frozenset()]
    for part in parts:
        choices = part if len(combined) * len(part) <= MAX_OPTIONS else part[:1]
        combined = [union | option for union in combined for option in choices]
    return tuple(sorted(set(combined), key=_local_rank)[:MAX_OPTIONS])


def _local_rank(option: frozenset[str]) -> tuple[int, int]:
    return (-min(len(needle) for needle in option), len(option))
