from __future__ import annotations

from garrison.i18n import gettext, ngettext, pgettext, use_language
from garrison.i18n.catalogs import extract_messages, missing_translations


def test_every_user_facing_string_is_translated_in_both_languages() -> None:
    missing = missing_translations()
    report = "\n".join(
        f"{m.language}: {m.message!r} at {', '.join(m.locations[:2])}" for m in missing
    )
    assert missing == [], f"{len(missing)} missing translations:\n{report}"


def test_extraction_finds_strings_in_code_and_templates() -> None:
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in extract_messages() if m.id}
    assert "Authentication is required." in ids  # python source
    assert "Phase now" in ids  # a Jinja template


def test_language_switches_per_context() -> None:
    with use_language("vi"):
        vietnamese = gettext("Services")
    with use_language("en"):
        english = gettext("Services")
    assert english == "Services"
    assert vietnamese != english
    with use_language("xx"):
        assert gettext("Services") == "Services"


def test_plural_forms() -> None:
    with use_language("en"):
        assert ngettext("%(count)d service", "%(count)d services", 1) == "%(count)d service"
        assert ngettext("%(count)d service", "%(count)d services", 3) == "%(count)d services"


def test_a_word_with_two_meanings_is_translated_per_context() -> None:
    contexts = {(m.id, m.context) for m in extract_messages() if m.id == "Critical"}
    assert ("Critical", "detection level") in contexts  # extracted with its context
    with use_language("vi"):
        criticality = gettext("Critical")
        level = pgettext("detection level", "Critical")
        unknown_context = pgettext("no such context", "Critical")
    assert criticality != level
    assert "Critical" not in (criticality, level)
    assert unknown_context == "Critical"  # an untranslated context falls back to the source
    with use_language("en"):
        assert pgettext("detection level", "Critical") == "Critical"
