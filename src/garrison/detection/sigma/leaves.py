"""Predicates for the leaves of a Sigma condition: one field (or the keywords) against values.

Each leaf also says which lowered literals must occur in the event when it is true
(``needles``), so that the prefilter can skip rules whose literals are all absent; a
leaf whose truth needs no literal (a number, a null, a CIDR range, a negation) says
``None``.
"""

from __future__ import annotations

import ipaddress
import operator
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sigma.policy import default_policy
from sigma.types import (
    CompareOperators,
    Placeholder,
    SigmaBool,
    SigmaCasedString,
    SigmaCIDRExpression,
    SigmaCompareExpression,
    SigmaExists,
    SigmaExpansion,
    SigmaFieldReference,
    SigmaNull,
    SigmaNumber,
    SigmaRegularExpression,
    SigmaString,
    SigmaTimestampPart,
    SigmaType,
    TimestampPart,
)

from garrison.detection.sigma.patterns import StringPattern, string_pattern, text_test
from garrison.detection.sigma.regex_literals import regex_needles
from garrison.detection.sigma.view import MISSING, EventView, Text
from garrison.i18n import gettext as _

Predicate = Callable[[EventView], bool]
Needles = frozenset[str] | None


class UnsupportedValue(ValueError):
    """A value type this engine cannot evaluate (the rule is refused with this reason)."""


@dataclass(frozen=True, slots=True)
class Leaf:
    predicate: Predicate
    needles: Needles
    field: str | None  # None for keywords


def merge_needles(parts: Sequence[Needles]) -> Needles:
    """Needles of an OR: every branch must name some, and all are needed."""
    merged: set[str] = set()
    for needles in parts:
        if needles is None:
            return None
        merged |= needles
    return frozenset(merged)


def expand_placeholders(
    values: Sequence[SigmaType], placeholders: Mapping[str, Sequence[str]]
) -> list[SigmaType]:
    """Replace ``%name%`` placeholders (the ``expand`` modifier) by configured values."""

    def replacements(placeholder: Placeholder) -> Iterator[str]:
        if placeholder.name not in placeholders:
            raise UnsupportedValue(
                _("The placeholder %(name)s has no value in the configuration.")
                % {"name": f"%{placeholder.name}%"}
            )
        yield from placeholders[placeholder.name]

    expanded: list[SigmaType] = []
    for value in values:
        if isinstance(value, SigmaExpansion):
            expanded.append(SigmaExpansion(expand_placeholders(value.values, placeholders)))
        elif isinstance(value, SigmaString) and value.contains_placeholder():
            strings = value.replace_placeholders(replacements)
            if isinstance(value, SigmaCasedString):
                strings = [SigmaCasedString.from_sigma_string(item) for item in strings]
            expanded.extend(strings)
        elif isinstance(value, SigmaRegularExpression) and value.contains_placeholder():
            expanded.extend(value.replace_placeholders(replacements))
        else:
            expanded.append(value)
    return expanded


def field_leaf(field: str, values: Sequence[SigmaType]) -> Leaf:
    """One field matching any of ``values`` (an OR of one field's values, merged)."""
    flat = _flatten(values)
    strings = [value for value in flat if isinstance(value, SigmaString)]
    others = [value for value in flat if not isinstance(value, SigmaString)]
    predicates: list[Predicate] = []
    needles: list[Needles] = []
    for cased in (False, True):
        patterns = [
            string_pattern(value)
            for value in strings
            if isinstance(value, SigmaCasedString) == cased
        ]
        if patterns:
            predicates.append(_string_predicate(field, patterns, cased=cased))
            needles.append(_pattern_needles(patterns))
    for value in others:
        predicates.append(_other_predicate(field, value))
        needles.append(
            regex_needles(str(value.regexp)) if isinstance(value, SigmaRegularExpression) else None
        )
    return Leaf(_any_of(predicates), merge_needles(needles), field)


def keyword_leaf(values: Sequence[SigmaType]) -> Leaf:
    """Keywords: any value found anywhere in the event's text."""
    flat = _flatten(values)
    predicates: list[Predicate] = []
    needles: list[Needles] = []
    for cased in (False, True):
        patterns = [
            string_pattern(value, keyword=True)
            for value in flat
            if isinstance(value, SigmaString) and isinstance(value, SigmaCasedString) == cased
        ]
        if patterns:
            predicates.append(_keyword_predicate(text_test(patterns), cased=cased))
            needles.append(_pattern_needles(patterns))
    for value in flat:
        if isinstance(value, SigmaString):
            continue
        if isinstance(value, SigmaNumber | SigmaBool):
            literal = str(value).lower()
            predicates.append(lambda view, literal=literal: literal in view.keyword_text())  # type: ignore[misc]
            needles.append(frozenset({literal}) if len(literal) >= 3 else None)
        elif isinstance(value, SigmaRegularExpression):
            regex = _compile_regex(value)
            predicates.append(
                lambda view, regex=regex: regex.search(view.keyword_text(cased=True)) is not None  # type: ignore[misc]
            )
            needles.append(regex_needles(str(value.regexp)))
        else:
            raise UnsupportedValue(f"keywords cannot hold a {type(value).__name__}")
    return Leaf(_any_of(predicates), merge_needles(needles), None)


def _keyword_predicate(test: Callable[[str], bool], *, cased: bool) -> Predicate:
    return lambda view: test(view.keyword_text(cased=cased))


def _flatten(values: Sequence[SigmaType]) -> list[SigmaType]:
    flat: list[SigmaType] = []
    for value in values:
        if isinstance(value, SigmaExpansion):
            flat.extend(_flatten(value.values))
        else:
            flat.append(value)
    return flat


def _pattern_needles(patterns: Sequence[StringPattern]) -> Needles:
    found: set[str] = set()
    for pattern in patterns:
        needle = pattern.needle()
        if needle is None:
            return None
        found.add(needle)
    return frozenset(found)


def _any_of(predicates: Sequence[Predicate]) -> Predicate:
    if len(predicates) == 1:
        return predicates[0]
    chosen = tuple(predicates)

    def any_predicate(view: EventView) -> bool:
        for predicate in chosen:  # noqa: SIM110 - faster than any() on the hot path
            if predicate(view):
                return True
        return False

    return any_predicate


def _string_predicate(field: str, patterns: Sequence[StringPattern], *, cased: bool) -> Predicate:
    test = text_test(patterns)

    def on_text(text: Text) -> bool:
        if text is None:
            return False
        if isinstance(text, str):
            return test(text)
        return any(test(item) for item in text)

    if cased:
        return lambda view: on_text(view.text(field))

    def lowered_predicate(view: EventView) -> bool:
        text = view.lowered(field)
        if text.__class__ is str:
            return test(text)
        return on_text(text)

    return lowered_predicate


def _other_predicate(field: str, value: SigmaType) -> Predicate:
    if isinstance(value, SigmaNull):
        return lambda view: view.value(field) in (MISSING, None)
    if isinstance(value, SigmaExists):
        wanted = bool(value)
        return lambda view: (view.value(field) not in (MISSING, None)) == wanted
    if isinstance(value, SigmaTimestampPart):
        return _timestamp_predicate(field, value.timestamp_part, int(value.number))
    if isinstance(value, SigmaNumber):
        number = value.number
        return _scalar_predicate(field, lambda item: _as_number(item) == number)
    if isinstance(value, SigmaBool):
        wanted_text = "true" if value.boolean else "false"
        return _scalar_predicate(field, lambda item: _bool_text(item) == wanted_text)
    if isinstance(value, SigmaCompareExpression):
        return _compare_predicate(field, value)
    if isinstance(value, SigmaRegularExpression):
        regex = _compile_regex(value)
        return _text_predicate(field, lambda text: regex.search(text) is not None)
    if isinstance(value, SigmaCIDRExpression):
        network = value.network
        return _text_predicate(field, lambda text: _in_network(text, network))
    if isinstance(value, SigmaFieldReference):
        return _field_reference_predicate(field, value)
    raise UnsupportedValue(f"values of type {type(value).__name__} are not supported")


def _scalar_predicate(field: str, test: Callable[[Any], bool]) -> Predicate:
    def predicate(view: EventView) -> bool:
        value = view.value(field)
        if value is MISSING or value is None:
            return False
        if isinstance(value, list | tuple):
            return any(test(item) for item in value)
        return test(value)

    return predicate


def _text_predicate(field: str, test: Callable[[str], bool]) -> Predicate:
    def predicate(view: EventView) -> bool:
        text = view.text(field)
        if text is None:
            return False
        if isinstance(text, str):
            return test(text)
        return any(test(item) for item in text)

    return predicate


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def _bool_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip().lower()


_COMPARISONS: dict[CompareOperators, Callable[[float, float], bool]] = {
    CompareOperators.LT: operator.lt,
    CompareOperators.LTE: operator.le,
    CompareOperators.GT: operator.gt,
    CompareOperators.GTE: operator.ge,
    CompareOperators.NEQ: operator.ne,
}


def _compare_predicate(field: str, value: SigmaCompareExpression) -> Predicate:
    compare = _COMPARISONS[value.op]
    limit = value.number.number

    def test(item: Any) -> bool:
        number = _as_number(item)
        return number is not None and compare(number, limit)

    return _scalar_predicate(field, test)


def _compile_regex(value: SigmaRegularExpression) -> Any:
    """RE2 through pySigma's policy: linear time, so a hostile log line cannot stall us."""
    flags = 0
    for flag in value.flags:
        flags |= SigmaRegularExpression.sigma_to_python_flags[flag]
    return default_policy.regex_engine.compile(str(value.regexp), flags)


def _in_network(text: str, network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> bool:
    try:
        return ipaddress.ip_address(text.strip()) in network
    except ValueError:
        return False


def _field_reference_predicate(field: str, reference: SigmaFieldReference) -> Predicate:
    other = reference.field
    starts, ends = reference.starts_with, reference.ends_with

    def test(left: str, right: str) -> bool:
        if starts and ends:
            return right in left
        if starts:
            return left.startswith(right)
        if ends:
            return left.endswith(right)
        return left == right

    def predicate(view: EventView) -> bool:
        left, right = view.lowered(field), view.lowered(other)
        if left is None or right is None:
            return False
        lefts = (left,) if isinstance(left, str) else left
        rights = (right,) if isinstance(right, str) else right
        return any(test(a, b) for a in lefts for b in rights)

    return predicate


def _timestamp_predicate(field: str, part: TimestampPart, wanted: int) -> Predicate:
    def test(item: Any) -> bool:
        if isinstance(item, datetime):
            moment = item
        else:
            try:
                moment = datetime.fromisoformat(str(item).strip().replace("Z", "+00:00"))
            except ValueError:
                return False
        return _timestamp_part(moment, part) == wanted

    return _scalar_predicate(field, test)


def _timestamp_part(moment: datetime, part: TimestampPart) -> int:
    if part is TimestampPart.MINUTE:
        return moment.minute
    if part is TimestampPart.HOUR:
        return moment.hour
    if part is TimestampPart.DAY:
        return moment.day
    if part is TimestampPart.WEEK:
        return moment.isocalendar().week
    if part is TimestampPart.MONTH:
        return moment.month
    return moment.year
