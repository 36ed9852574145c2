"""Keeping the catalogs complete: extract every marked string, merge, check.

``python -m garrison.i18n.update`` adds new strings to both catalogs (English
filled with the source text, Vietnamese left empty for a translator);
``python -m garrison.i18n.check`` fails when any string lacks a translation.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from garrison.i18n.translations import DOMAIN, SUPPORTED_LANGUAGES, catalog_path

PACKAGE_DIR = Path(__file__).resolve().parent.parent
KEYWORDS = {
    "_": None,
    "gettext": None,
    "_l": None,
    "lazy_gettext": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
}
METHOD_MAP = [
    ("**/templates/**.html", "jinja2"),
    ("**.py", "python"),
]
JINJA_OPTIONS = {"**/templates/**.html": {"trimmed": "false"}}


@dataclass(frozen=True, slots=True)
class MissingTranslation:
    language: str
    message: str
    locations: tuple[str, ...]


def extract_messages() -> Catalog:
    catalog = Catalog(domain=DOMAIN)
    for filename, lineno, message, comments, context in extract_from_dir(
        PACKAGE_DIR, METHOD_MAP, keywords=KEYWORDS, options_map=JINJA_OPTIONS
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def read_catalog(language: str) -> Catalog:
    with catalog_path(language).open("rb") as handle:
        return read_po(handle, locale=language, domain=DOMAIN)


def update_catalogs() -> dict[str, int]:
    """Merge freshly extracted strings into each catalog; returns new strings per language."""
    added: dict[str, int] = {}
    for language in SUPPORTED_LANGUAGES:
        # A fresh template each time: Catalog.update shares message objects with it.
        template = extract_messages()
        catalog = read_catalog(language)
        known = {(message.id, message.context) for message in catalog if message.id}
        catalog.update(template, no_fuzzy_matching=True)
        count = 0
        for message in catalog:
            if not message.id:
                continue
            if (message.id, message.context) not in known:
                count += 1
            if language == "en" and not _translated(message.string):
                message.string = message.id
        # Strings no longer in the source are dropped, not kept as obsolete noise.
        catalog.obsolete.clear()
        with catalog_path(language).open("wb") as handle:
            write_po(handle, catalog, width=100, sort_output=True, omit_header=False)
        added[language] = count
    return added


def _translated(value: object) -> bool:
    if isinstance(value, tuple | list):
        return all(value)
    return bool(value)


def missing_translations() -> list[MissingTranslation]:
    template = extract_messages()
    missing: list[MissingTranslation] = []
    for language in SUPPORTED_LANGUAGES:
        catalog = read_catalog(language)
        for message in template:
            if not message.id:
                continue
            found = catalog.get(message.id, context=message.context)
            if found is None or found.fuzzy or not _translated(found.string):
                locations = tuple(f"{path}:{line}" for path, line in message.locations)
                key = message.id[0] if isinstance(message.id, tuple | list) else message.id
                missing.append(MissingTranslation(language, str(key), locations))
    return missing
