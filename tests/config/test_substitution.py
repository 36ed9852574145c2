"""``${VAR}``, ``${VAR:-default}`` and ``$${``."""

from __future__ import annotations

import pytest

from garrison.config import ConfigValidationError, load_config
from garrison.config.substitution import SubstitutionError, substitute_variables

from .conftest import LoadErrors, WriteFile


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", "plain"),
        ("${HOST}", "127.0.0.1"),
        ("http://${HOST}:${PORT:-18080}/", "http://127.0.0.1:18080/"),
        ("${EMPTY:-fallback}", "fallback"),
        ("${EMPTY}", ""),
        ("${UNSET:-}", ""),
        ("cost $${HOST} and $5", "cost ${HOST} and $5"),
        ("$${UNSET}", "${UNSET}"),
    ],
)
def test_substitute_variables(text: str, expected: str) -> None:
    environ = {"HOST": "127.0.0.1", "EMPTY": ""}
    assert substitute_variables(text, environ).text == expected


def test_escape_alone_is_not_counted_as_environment() -> None:
    assert not substitute_variables("$${X}", {}).used_environment
    assert substitute_variables("${X:-a}", {}).used_environment


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("${UNSET}", "environment variable UNSET is not set and has no default"),
        ("${OPEN", "unterminated ${"),
        ("${1BAD}", "invalid variable reference"),
        ("${A:-${B}}", "a default value cannot contain another ${...}"),
    ],
)
def test_substitution_errors(text: str, message: str) -> None:
    with pytest.raises(SubstitutionError, match=message.replace("$", r"\$").replace("{", r"\{")):
        substitute_variables(text, {})


CONFIG = """event:
  id: demo
  name: ${EVENT_NAME:-Demo event}
  timezone: ${TZ_NAME}
  start: ${START}
  end: 2026-10-18T22:00:00
sites:
  - id: hall
    name: "Hall $${not substituted}"
    description: ${MISSING}
"""


def test_substitution_in_a_file(write: WriteFile) -> None:
    path = write("event.yaml", CONFIG.replace("${MISSING}", "${MISSING:-none}"))
    environ = {"TZ_NAME": "Asia/Ho_Chi_Minh", "START": "2026-10-12T07:00:00"}
    config = load_config(path, environ=environ).config
    assert config.event.name == "Demo event"
    assert config.event.timezone == "Asia/Ho_Chi_Minh"
    assert config.event.start.isoformat() == "2026-10-12T00:00:00+00:00"
    assert config.sites[0].name == "Hall ${not substituted}"
    assert config.sites[0].description == "none"


def test_every_missing_variable_is_reported(write: WriteFile, load_errors: LoadErrors) -> None:
    path = write("event.yaml", CONFIG)
    issues = load_errors(path).issues
    assert [(issue.line, issue.path, issue.message) for issue in issues] == [
        (4, "event.timezone", "environment variable TZ_NAME is not set and has no default"),
        (5, "event.start", "environment variable START is not set and has no default"),
        (10, "sites[0].description", "environment variable MISSING is not set and has no default"),
    ]


def test_invalid_substituted_value_is_not_shown(write: WriteFile) -> None:
    path = write("event.yaml", CONFIG.replace("${MISSING}", "x"))
    environ = {"TZ_NAME": "Secret/Zone-42", "START": "token-abc123"}
    with pytest.raises(ConfigValidationError) as caught:
        load_config(path, environ=environ)
    text = str(caught.value)
    assert "Secret/Zone-42" not in text
    assert "token-abc123" not in text
    assert [issue.path for issue in caught.value.issues] == ["event.timezone", "event.start"]


def test_keys_and_comments_are_not_substituted(write: WriteFile, load_errors: LoadErrors) -> None:
    path = write("event.yaml", "# ${IGNORED}\n${KEY}: 1\n")
    issues = load_errors(path).issues
    assert {issue.path for issue in issues} == {"event", "${KEY}"}
