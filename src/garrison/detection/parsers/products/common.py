"""Pieces the product parsers share: the recogniser interface and failure patterns."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Protocol

from garrison.detection.parsers.base import Failure, Recognised, clean_account, normalise_address
from garrison.detection.parsers.envelope import Envelope
from garrison.detection.records import LogSource

# Product patterns look at most at this much of a message: a longer line is kept and
# searchable, but not run through dozens of regular expressions.
MAX_MATCHED_CHARS = 8192
# An address as products write it: IPv4, IPv6 (maybe bracketed), or a host name.
ADDRESS = r"[\w.:\[\]%-]+"

_INNER_TIME = re.compile(
    r"(?:\d{4}[-/]\d{2}[-/]\d{2}[ T]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?\s+)"
    r"|(?:\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\]\s*)"
)


class Recogniser(Protocol):
    """Understands the messages of one product (keeping state across lines if it must)."""

    product: str
    programs: frozenset[str]  # syslog program names that certainly belong to it

    def recognise(self, envelope: Envelope) -> Recognised | None: ...


def text_of(envelope: Envelope, programs: frozenset[str]) -> str:
    """The text a product parser reads: the message under its own tag, else the rest."""
    text = envelope.message if owns_program(envelope.program, programs) else envelope.rest
    return text[:MAX_MATCHED_CHARS]


def owns_program(program: str | None, programs: frozenset[str]) -> bool:
    if program is None:
        return False
    return _owns(program, programs)


# Every line asks this of every product parser; programs are few, so answers are kept
# (a frozenset keeps its hash, so a lookup costs two cached hashes).
@functools.lru_cache(maxsize=4096)
def _owns(program: str, programs: frozenset[str]) -> bool:
    name = program.lower().split("(", 1)[0]
    return name in programs or name.split("/", 1)[0] in programs


def strip_inner_time(text: str) -> str:
    """Drop a second timestamp a daemon writes inside its syslog message."""
    match = _INNER_TIME.match(text)
    return text[match.end() :] if match else text


class FailurePattern:
    """One way a product says "this login failed": groups ``addr`` and maybe ``user``.

    ``needle`` is text every match contains: the expression runs only on lines that have
    it, which keeps the cost of the many patterns low on the lines they cannot match.
    """

    __slots__ = ("failure_class", "needle", "pattern")

    def __init__(self, pattern: str, failure_class: str = "attempt", *, needle: str) -> None:
        self.pattern = re.compile(pattern)
        self.failure_class = failure_class
        self.needle = needle


class PatternRecogniser:
    """A product whose failures are each told by one line matching one pattern.

    Lines under one of the product's program names are always recognised (as plain
    events of the product when no failure pattern matches); other lines only when a
    failure pattern matches, so that ``auto`` can find the product by its messages.
    """

    def __init__(
        self,
        *,
        product: str,
        logsource: LogSource,
        programs: frozenset[str],
        patterns: tuple[FailurePattern, ...],
        only_own_program: bool = False,
        text: Callable[[str], str] | None = None,
    ) -> None:
        self.product = product
        self.programs = programs
        self._logsource = logsource
        self._patterns = patterns
        self._only_own_program = only_own_program
        self._text = text

    def recognise(self, envelope: Envelope) -> Recognised | None:
        owned = owns_program(envelope.program, self.programs)
        if self._only_own_program and not owned:
            return None
        text = text_of(envelope, self.programs)
        if self._text is not None:
            text = self._text(text)
        failure = self.find_failure(text)
        if failure is None and not owned:
            return None
        fields: dict[str, object] = {"message": text}
        if failure is not None:
            fields.update({"outcome": "failure", "source_address": failure.source_address})
            if failure.account:
                fields["user"] = failure.account
        return Recognised(self.product, self._logsource, fields, failure)

    def find_failure(self, text: str) -> Failure | None:
        for candidate in self._patterns:
            if candidate.needle not in text:
                continue
            match = candidate.pattern.search(text)
            if match is None:
                continue
            groups = match.groupdict()
            address = normalise_address(groups.get("addr"))
            if address is None:
                continue
            account = clean_account(groups.get("user"))
            return Failure(address, account, text[:200], candidate.failure_class)
        return None
