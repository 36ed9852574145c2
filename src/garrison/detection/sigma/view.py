"""One event as the compiled matchers read it: field lookups, lowered text, cached per event.

Sigma matches case-insensitively by default, so most matchers read a field's value
lowered; it is lowered once per event and field, on first use. Field names are looked up
exactly first and, failing that, without regard to case or spaces (logs disagree on
``CommandLine`` and ``commandline``; Defender writes ``Threat Name`` where Sigma's
taxonomy says ``ThreatName``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

MISSING: Final = object()

# A field's value as matchers see it: None (absent or null), one string, or several.
Text = str | tuple[str, ...] | None


def as_text(value: Any) -> str:
    """The string form of a scalar field value (Sigma compares strings)."""
    if isinstance(value, str):
        return value
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


def _to_text(value: Any) -> Text:
    if value is None or value is MISSING:
        return None
    if isinstance(value, list | tuple):
        return tuple(as_text(item) for item in value if item is not None)
    return as_text(value)


def _lower(text: Text) -> Text:
    if text is None:
        return None
    if isinstance(text, str):
        return text.lower()
    return tuple(item.lower() for item in text)


class EventView:
    """Read-only access to one event's fields with per-event caches."""

    __slots__ = ("_folded_keys", "_keyword_text", "_lowered", "_texts", "fields", "raw")

    def __init__(self, fields: Mapping[str, Any], raw: str = "") -> None:
        self.fields = fields
        self.raw = raw
        self._lowered: dict[str, Text] = {}
        self._texts: dict[str, Text] = {}
        self._folded_keys: dict[str, str] | None = None
        self._keyword_text: tuple[str, str] | None = None

    def value(self, name: str) -> Any:
        """The field's value, or :data:`MISSING` when the event has no such field."""
        fields = self.fields
        value = fields.get(name, MISSING)
        if value is MISSING:
            folded = self._folded_keys
            if folded is None:
                folded = self._folded_keys = {_fold(key): key for key in fields}
            real = folded.get(_fold(name))
            if real is not None:
                value = fields[real]
        return value

    def text(self, name: str) -> Text:
        """The field's value as text, case kept."""
        cache = self._texts
        if name in cache:
            return cache[name]
        text = cache[name] = _to_text(self.value(name))
        return text

    def lowered(self, name: str) -> Text:
        """The field's value as lowered text."""
        cache = self._lowered
        if name in cache:
            return cache[name]
        lowered = cache[name] = _lower(self.text(name))
        return lowered

    def keyword_text(self, *, cased: bool = False) -> str:
        """What keywords search: the original line, or every value when there is none."""
        pair = self._keyword_text
        if pair is None:
            original = self.raw or "\n".join(all_texts(self.fields))
            pair = self._keyword_text = (original, original.lower())
        return pair[0] if cased else pair[1]


def _fold(name: str) -> str:
    return name.replace(" ", "").lower()


def all_texts(fields: Mapping[str, Any]) -> list[str]:
    """Every value of the event as text, lists flattened (for the prefilter and keywords)."""
    texts: list[str] = []
    for value in fields.values():
        if value is None:
            continue
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, list | tuple):
            texts.extend(as_text(item) for item in value if item is not None)
        else:
            texts.append(as_text(value))
    return texts
