"""What an HTTP check asserts about a response, each failure in plain words."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

import orjson

from garrison.config.checks import HttpCheck
from garrison.i18n import gettext as _
from garrison.probes.runners._http_client import HttpResponse

_PATH_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
_MISSING = object()


def judge_response(check: HttpCheck, response: HttpResponse, *, latency_ms: float) -> list[str]:
    """The failed assertions of ``check`` on ``response`` (empty when all hold)."""
    failures: list[str] = []
    if response.status not in check.expect_status:
        failures.append(
            _("status {status}, expected {expected}").format(
                status=response.status,
                expected=", ".join(str(code) for code in check.expect_status),
            )
        )
    for name, expected in check.header_equals.items():
        actual = response.header(name.lower())
        if actual != expected:
            failures.append(
                _("header {name} is {actual!r}, expected {expected!r}").format(
                    name=name, actual=_short(actual), expected=expected
                )
            )
    if check.body_contains or check.body_regex is not None or check.json_path_equals:
        failures.extend(_judge_body(check, response))
    if check.max_latency_ms is not None and latency_ms > check.max_latency_ms:
        failures.append(
            _("took {latency:.0f} ms, the limit is {limit:g} ms").format(
                latency=latency_ms, limit=check.max_latency_ms
            )
        )
    return failures


def _judge_body(check: HttpCheck, response: HttpResponse) -> list[str]:
    failures: list[str] = []
    text = response.text()
    for wanted in check.body_contains:
        if wanted not in text:
            failures.append(_("the body does not contain {text!r}").format(text=_short(wanted)))
    if check.body_regex is not None:
        try:
            pattern = _compiled(check.body_regex)
        except re.error as error:
            failures.append(
                _("body_regex is not a valid regular expression: {problem}").format(problem=error)
            )
        else:
            if pattern.search(text) is None:
                failures.append(
                    _("the body does not match {pattern!r}").format(pattern=check.body_regex)
                )
    if check.json_path_equals:
        failures.extend(_judge_json(check.json_path_equals, text))
    if failures and response.truncated:
        failures.append(
            _("only the first {size} bytes of the body were read (max_body_bytes)").format(
                size=len(response.body)
            )
        )
    return failures


def _judge_json(expectations: dict[str, Any], text: str) -> list[str]:
    try:
        document = orjson.loads(text)  # fast; what it refuses (NaN, huge numbers) json may take
    except orjson.JSONDecodeError:
        try:
            document = json.loads(text)
        except ValueError:
            return [_("the body is not JSON")]
    failures: list[str] = []
    for path, expected in expectations.items():
        try:
            actual = _json_path_value(document, path)
        except ValueError:
            failures.append(_("json_path_equals: {path!r} is not a valid path").format(path=path))
            continue
        if actual is _MISSING:
            failures.append(_("JSON path {path} is missing").format(path=path))
        elif not _same_json(actual, expected):
            failures.append(
                _("JSON path {path} is {actual}, expected {expected}").format(
                    path=path,
                    actual=_short(json.dumps(actual, ensure_ascii=False)),
                    expected=_short(json.dumps(expected, ensure_ascii=False)),
                )
            )
    return failures


def _json_path_value(document: Any, path: str) -> Any:
    """The value at a dotted path (``a.b.0.c`` or ``a.b[0].c``); ``_MISSING`` when absent."""
    current = document
    for key, index in _path_tokens(path):
        if isinstance(current, list):
            position = int(index or key) if (index or key.isdigit()) else None
            if position is None or position >= len(current):
                return _MISSING
            current = current[position]
        elif isinstance(current, dict) and not index and key in current:
            current = current[key]
        else:
            return _MISSING
    return current


@lru_cache(maxsize=4_096)  # the same paths, every run: parsed once
def _path_tokens(path: str) -> tuple[tuple[str, str], ...]:
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(path):
        if path[position] == "." and tokens:
            position += 1
        match = _PATH_TOKEN.match(path, position)
        if match is None:
            raise ValueError(path)
        tokens.append((match.group(1) or "", match.group(2) or ""))
        position = match.end()
    if not tokens:
        raise ValueError(path)
    return tuple(tokens)


def _same_json(actual: Any, expected: Any) -> bool:
    # JSON true is not 1: booleans only equal booleans.
    if isinstance(actual, bool) or isinstance(expected, bool):
        return type(actual) is type(expected) and actual == expected
    return bool(actual == expected)


@lru_cache(maxsize=1024)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _short(text: str | None, limit: int = 120) -> str | None:
    if text is None or len(text) <= limit:
        return text
    return text[:limit] + "…"
