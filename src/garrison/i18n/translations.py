"""Catalog loading and lookup; catalogs are the ``.po`` files next to this module."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

SUPPORTED_LANGUAGES: tuple[str, ...] = ("en", "vi")
DEFAULT_LANGUAGE = "en"
CATALOG_DIR = Path(__file__).parent / "locale"
DOMAIN = "garrison"

_language: ContextVar[str] = ContextVar("garrison_language", default=DEFAULT_LANGUAGE)


def catalog_path(language: str) -> Path:
    return CATALOG_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def load_catalog(language: str) -> Catalog:
    with catalog_path(language).open("rb") as handle:
        return read_po(handle, locale=language, domain=DOMAIN)


@cache
def _messages(language: str) -> dict[str, str | tuple[str, ...]]:
    table: dict[str, str | tuple[str, ...]] = {}
    for message in load_catalog(language):
        if not message.id or message.fuzzy:
            continue
        key = str(message.id[0] if isinstance(message.id, tuple | list) else message.id)
        if message.context:
            key = context_key(str(message.context), key)
        if isinstance(message.string, tuple | list):
            if all(message.string):
                table[key] = tuple(str(form) for form in message.string)
        elif message.string:
            table[key] = str(message.string)
    return table


def current_language() -> str:
    return _language.get()


@contextlib.contextmanager
def use_language(language: str) -> Iterator[None]:
    if language not in SUPPORTED_LANGUAGES:
        language = DEFAULT_LANGUAGE
    token = _language.set(language)
    try:
        yield
    finally:
        _language.reset(token)


def set_language(language: str) -> None:
    """Set the language for the rest of the current context (used once by the CLI)."""
    _language.set(language if language in SUPPORTED_LANGUAGES else DEFAULT_LANGUAGE)


def context_key(context: str, message: str) -> str:
    """The lookup key of a message with a context (gettext's EOT-separated convention)."""
    return f"{context}\x04{message}"


def gettext(message: str) -> str:
    found = _messages(_language.get()).get(message)
    if isinstance(found, str):
        return found
    return message


def pgettext(context: str, message: str) -> str:
    """Translate a word whose meaning depends on where it is used (e.g. a level, a criticality)."""
    found = _messages(_language.get()).get(context_key(context, message))
    if isinstance(found, str):
        return found
    return message


def ngettext(singular: str, plural: str, count: int) -> str:
    found = _messages(_language.get()).get(singular)
    if isinstance(found, tuple):
        forms = found
        language = _language.get()
        # Vietnamese has one plural form; English two.
        index = 0 if language == "vi" or count == 1 else 1
        return forms[min(index, len(forms) - 1)]
    return singular if count == 1 else plural


class LazyString:
    """A message translated when it is shown, in the language of that moment."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message

    def __str__(self) -> str:
        return gettext(self.message)

    def __repr__(self) -> str:
        return f"LazyString({self.message!r})"


def lazy_gettext(message: str) -> LazyString:
    return LazyString(message)
