"""Translation of user-facing strings (gettext catalogs in Vietnamese and English).

Mark every user-facing string with :func:`gettext` (imported as ``_``). The
language is taken from a context variable, set per request by the web layer and
once per command by the CLI.
"""

from garrison.i18n.translations import (
    DEFAULT_LANGUAGE,
    SUPPORTED_LANGUAGES,
    current_language,
    gettext,
    lazy_gettext,
    ngettext,
    pgettext,
    use_language,
)

__all__ = [
    "DEFAULT_LANGUAGE",
    "SUPPORTED_LANGUAGES",
    "current_language",
    "gettext",
    "lazy_gettext",
    "ngettext",
    "pgettext",
    "use_language",
]
