"""Pydantic's validation errors, told in our words and placed at their file position."""

from __future__ import annotations

import types
from enum import Enum
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from garrison.config.errors import ConfigIssue
from garrison.config.fields import ID_PATTERN, USERNAME_PATTERN
from garrison.config.includes import INCLUDE_KEY
from garrison.config.models import EventConfig
from garrison.config.positions import Loc
from garrison.config.source_map import SourceMap
from garrison.i18n import gettext as _

_DATETIME_TYPES = frozenset(
    {"datetime_type", "datetime_parsing", "datetime_from_date_parsing", "datetime_object_invalid"}
)
_MAPPING_TYPES = frozenset({"model_type", "model_attributes_type", "dict_type"})
_LIST_TYPES = frozenset({"list_type", "tuple_type", "iterable_type"})


def issues_from_validation_error(
    error: ValidationError, *, source_map: SourceMap, root: type[BaseModel] = EventConfig
) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    for detail in error.errors(include_url=False, include_input=False):
        loc: Loc = tuple(detail["loc"])
        issues.append(source_map.issue(loc, describe_error(detail, root=root)))
    return issues


def describe_error(detail: ErrorDetails, *, root: type[BaseModel] = EventConfig) -> str:
    """A translated message for one pydantic error; never repeats the input value."""
    kind = detail["type"]
    loc: Loc = tuple(detail["loc"])
    context: dict[str, Any] = dict(detail.get("ctx") or {})
    if kind == "missing":
        return _("missing required key '{key}'").format(key=loc[-1])
    if kind == "extra_forbidden":
        return _unknown_key_message(loc, root)
    if kind in ("enum", "literal_error"):
        return _("must be one of: {values}").format(values=_expected_values(loc, root, context))
    if kind in ("string_type", "string_unicode"):
        return _("expected text (put it in quotes if YAML reads it as a number, date or yes/no)")
    if kind == "string_pattern_mismatch":
        return _pattern_message(str(context.get("pattern", "")))
    if kind == "string_too_short":
        return _("must not be empty")
    if kind == "string_too_long":
        return _("is too long (at most {limit} characters)").format(limit=context.get("max_length"))
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return _("expected a whole number")
    if kind in ("bool_type", "bool_parsing"):
        return _("expected true or false")
    if kind in _DATETIME_TYPES:
        return _(
            "expected a date and time such as 2026-01-19T08:00:00, optionally with an offset "
            "such as +07:00"
        )
    if kind in _MAPPING_TYPES:
        return _("expected a mapping (key: value)")
    if kind in _LIST_TYPES:
        return _("expected a list")
    if kind.startswith("url_"):
        return _("expected a URL of the form scheme://host[:port][/path]")
    return detail["msg"]


def _pattern_message(pattern: str) -> str:
    if pattern == ID_PATTERN:
        return _(
            "not a valid id: use 1 to 64 lowercase letters, digits, '_', '.' or '-', "
            "starting with a letter or digit"
        )
    if pattern == USERNAME_PATTERN:
        return _(
            "not a valid username: use 1 to 64 lowercase letters, digits, '_', '.', '@' or '-', "
            "starting with a letter or digit"
        )
    return _("does not have the expected format ({pattern})").format(pattern=pattern)


def _unknown_key_message(loc: Loc, root: type[BaseModel]) -> str:
    container = _type_at(loc[:-1], root)
    if isinstance(container, type) and issubclass(container, BaseModel):
        allowed = list(container.model_fields)
        if container is EventConfig:
            allowed.insert(0, INCLUDE_KEY)
        return _("unknown key '{key}'; allowed keys: {allowed}").format(
            key=loc[-1], allowed=", ".join(allowed)
        )
    return _("unknown key '{key}' is not allowed here").format(key=loc[-1])


def _expected_values(loc: Loc, root: type[BaseModel], context: dict[str, Any]) -> str:
    target = _type_at(loc, root)
    if isinstance(target, type) and issubclass(target, Enum):
        return ", ".join(str(member.value) for member in target)
    return str(context.get("expected", ""))


def _type_at(loc: Loc, root: type[BaseModel]) -> object:
    """The declared type at ``loc`` (list indexes skipped), or None when it cannot be told."""
    current: object = root
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = current.model_fields.get(part)
        if field is None:
            return None
        current = _innermost(field.annotation)
    return current


def _innermost(annotation: object) -> object:
    """Strip Annotated, Optional and tuple/list wrappers down to the item type."""
    while True:
        origin = get_origin(annotation)
        arguments = get_args(annotation)
        if origin is Annotated or origin in (tuple, list):
            annotation = arguments[0]
        elif origin in (Union, types.UnionType):
            remaining = [argument for argument in arguments if argument is not type(None)]
            if len(remaining) != 1:
                return annotation
            annotation = remaining[0]
        else:
            return annotation
