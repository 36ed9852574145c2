"""``${VAR}`` and ``${VAR:-default}`` in scalar strings; ``$${`` stands for a literal ``${``.

Messages name the variable, never its value: values are often secrets.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from garrison.i18n import gettext as _

_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DEFAULT_SEPARATOR = ":-"


class SubstitutionError(Exception):
    """A reference cannot be replaced; the message is translated and free of values."""


@dataclass(frozen=True, slots=True)
class Substituted:
    text: str
    used_environment: bool


def substitute_variables(text: str, environ: Mapping[str, str]) -> Substituted:
    if "${" not in text:
        return Substituted(text=text, used_environment=False)
    parts: list[str] = []
    used = False
    position = 0
    while (start := text.find("${", position)) != -1:
        if start > position and text[start - 1] == "$":
            parts.append(text[position : start - 1] + "${")
            position = start + 2
            continue
        end = text.find("}", start + 2)
        if end == -1:
            raise SubstitutionError(
                _("unterminated ${: close it with }, or write $${ for a literal ${")
            )
        parts.append(text[position:start])
        parts.append(_resolve(text[start + 2 : end], environ))
        used = True
        position = end + 1
    parts.append(text[position:])
    return Substituted(text="".join(parts), used_environment=used)


def _resolve(expression: str, environ: Mapping[str, str]) -> str:
    name, separator, default = expression.partition(_DEFAULT_SEPARATOR)
    if not _VARIABLE_NAME.fullmatch(name):
        raise SubstitutionError(
            _(
                "invalid variable reference: write ${NAME} or ${NAME:-default}, "
                "or $${ for a literal ${"
            )
        )
    if "${" in default:
        raise SubstitutionError(_("a default value cannot contain another ${...}"))
    value = environ.get(name)
    if separator and not value:
        return default
    if value is None:
        raise SubstitutionError(
            _("environment variable {name} is not set and has no default").format(name=name)
        )
    return value
