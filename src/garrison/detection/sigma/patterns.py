"""Sigma strings turned into plain matching operations, once, when a rule is compiled.

A Sigma string is literal text with ``*`` and ``?`` wildcards. Most are a literal with
wildcards only at the ends (equals, startswith, endswith, contains), which Python's
string methods answer far faster than a regular expression; the rest become one
anchored regular expression.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum

import ahocorasick
from sigma.types import Placeholder, SigmaCasedString, SigmaString, SpecialChars

# A literal shorter than this is too common to pick candidate rules by.
MIN_NEEDLE = 3
# Above this many "contains" literals on one field, one automaton beats a loop.
AUTOMATON_THRESHOLD = 64


class PatternKind(Enum):
    EQUALS = "equals"
    PREFIX = "prefix"
    SUFFIX = "suffix"
    CONTAINS = "contains"
    ANYTHING = "anything"
    WILDCARD = "wildcard"


@dataclass(frozen=True, slots=True)
class StringPattern:
    kind: PatternKind
    literal: str  # lowered unless cased; for WILDCARD the longest literal piece
    cased: bool
    regex: re.Pattern[str] | None = None

    def needle(self) -> str | None:
        """A lowered literal that must occur in the value when the pattern matches."""
        if self.kind is PatternKind.ANYTHING:
            return None
        text = self.literal if not self.cased else self.literal.lower()
        return text if len(text) >= MIN_NEEDLE else None


class UnresolvedPlaceholder(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def string_pattern(value: SigmaString, *, keyword: bool = False) -> StringPattern:
    """Classify one Sigma string (placeholders must have been expanded)."""
    cased = isinstance(value, SigmaCasedString)
    parts: list[str | SpecialChars] = []
    for part in value.s:
        if isinstance(part, Placeholder):
            raise UnresolvedPlaceholder(part.name)
        if isinstance(part, str) and parts and isinstance(parts[-1], str):
            parts[-1] = parts[-1] + part
        else:
            parts.append(part)
    if not cased:
        parts = [part.lower() if isinstance(part, str) else part for part in parts]
    if keyword:
        # Keywords search the whole text: as if surrounded by "*".
        parts = [SpecialChars.WILDCARD_MULTI, *parts, SpecialChars.WILDCARD_MULTI]
        parts = _squash_stars(parts)
    return _classify(parts, cased)


def _squash_stars(parts: list[str | SpecialChars]) -> list[str | SpecialChars]:
    squashed: list[str | SpecialChars] = []
    for part in parts:
        if part is SpecialChars.WILDCARD_MULTI and squashed and squashed[-1] is part:
            continue
        squashed.append(part)
    return squashed


def _classify(parts: list[str | SpecialChars], cased: bool) -> StringPattern:
    star = SpecialChars.WILDCARD_MULTI
    literals = [part for part in parts if isinstance(part, str)]
    if not parts:
        return StringPattern(PatternKind.EQUALS, "", cased)
    if all(part is star for part in parts):
        return StringPattern(PatternKind.ANYTHING, "", cased)
    if len(literals) == 1 and SpecialChars.WILDCARD_SINGLE not in parts:
        text = literals[0]
        shape = tuple(part is star for part in parts)
        kinds = {
            (False,): PatternKind.EQUALS,
            (False, True): PatternKind.PREFIX,
            (True, False): PatternKind.SUFFIX,
            (True, False, True): PatternKind.CONTAINS,
        }
        kind = kinds.get(shape)
        if kind is not None:
            return StringPattern(kind, text, cased)
    pieces = []
    for part in parts:
        if isinstance(part, str):
            pieces.append(re.escape(part))
        elif part is star:
            pieces.append(".*")
        else:
            pieces.append(".")
    regex = re.compile("".join(pieces), re.DOTALL)
    return StringPattern(PatternKind.WILDCARD, max(literals, key=len, default=""), cased, regex)


def text_test(patterns: Sequence[StringPattern]) -> Callable[[str], bool]:
    """One test answering "does any of these patterns match this text" (all of one casing)."""
    equals = frozenset(p.literal for p in patterns if p.kind is PatternKind.EQUALS)
    prefixes = tuple(p.literal for p in patterns if p.kind is PatternKind.PREFIX)
    suffixes = tuple(p.literal for p in patterns if p.kind is PatternKind.SUFFIX)
    contained = tuple(p.literal for p in patterns if p.kind is PatternKind.CONTAINS)
    regexes = tuple(p.regex for p in patterns if p.regex is not None)
    if any(p.kind is PatternKind.ANYTHING for p in patterns):
        return _always
    tests: list[Callable[[str], bool]] = []
    if equals:
        tests.append(equals.__contains__)
    if prefixes:
        tests.append(lambda text: text.startswith(prefixes))
    if suffixes:
        tests.append(lambda text: text.endswith(suffixes))
    if contained:
        tests.append(_contains_test(contained))
    for regex in regexes:
        tests.append(lambda text, regex=regex: regex.fullmatch(text) is not None)  # type: ignore[misc]
    if len(tests) == 1:
        return tests[0]
    test_tuple = tuple(tests)

    def any_test(text: str) -> bool:
        for test in test_tuple:  # noqa: SIM110 - faster than any() on the hot path
            if test(text):
                return True
        return False

    return any_test


def _always(text: str) -> bool:
    return True


def _contains_test(literals: tuple[str, ...]) -> Callable[[str], bool]:
    if len(literals) == 1:
        (literal,) = literals
        return lambda text: literal in text
    if len(literals) < AUTOMATON_THRESHOLD or "" in literals:

        def contains_any(text: str) -> bool:
            for literal in literals:  # noqa: SIM110 - faster than any() on the hot path
                if literal in text:
                    return True
            return False

        return contains_any
    automaton = ahocorasick.Automaton()
    for literal in literals:
        automaton.add_word(literal, literal)
    automaton.make_automaton()
    search = automaton.iter

    def contains_one_of(text: str) -> bool:
        for _found in search(text):
            return True
        return False

    return contains_one_of
