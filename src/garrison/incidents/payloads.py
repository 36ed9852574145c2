"""Reading a signal payload: JSON decoding, validation, and problems that name their field."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from garrison.i18n import gettext as _
from garrison.incidents.errors import InvalidSignal

M = TypeVar("M", bound=BaseModel)

MAX_PROBLEMS = 20


def field_path(location: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in location) or "(body)"


def validation_problems(exc: ValidationError) -> tuple[str, ...]:
    """``alerts.0.fingerprint: Field required`` for each problem, the first few only."""
    problems = []
    for error in exc.errors()[:MAX_PROBLEMS]:
        problems.append(f"{field_path(tuple(error['loc']))}: {error['msg']}")
    return tuple(problems)


def decode_json(raw: bytes) -> Any:
    if not raw.strip():
        raise InvalidSignal(_("The request body is empty; a JSON document is expected."))
    try:
        return json.loads(raw)
    except UnicodeDecodeError:
        raise InvalidSignal(_("The request body is not UTF-8 text.")) from None
    except json.JSONDecodeError as exc:
        raise InvalidSignal(
            _("The request body is not valid JSON (line %(line)d, column %(column)d): %(msg)s")
            % {"line": exc.lineno, "column": exc.colno, "msg": exc.msg}
        ) from None
    except RecursionError:
        raise InvalidSignal(_("The request body is nested too deeply.")) from None


def parse_payload(model: type[M], raw: bytes) -> M:
    """Decode and validate; InvalidSignal (HTTP 400) naming every problem's field path."""
    document = decode_json(raw)
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        raise InvalidSignal(
            _("The payload is not valid:"), problems=validation_problems(exc)
        ) from None


def inline_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON Schema with its definitions inlined, for an OpenAPI request body."""
    schema = model.model_json_schema(by_alias=True)
    definitions: dict[str, Any] = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            reference = node.get("$ref")
            if isinstance(reference, str) and reference.startswith("#/$defs/"):
                return resolve(definitions[reference.removeprefix("#/$defs/")])
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(item) for item in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved


def request_body_openapi(model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` documenting a JSON body that the route reads itself."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": inline_schema(model)}},
        }
    }
