"""Problems found while reading YAML: syntax, duplicate keys, tags, size of the tree."""

from __future__ import annotations

from pathlib import Path

import pytest

from garrison.config import ConfigIssue, load_config

from .conftest import LoadErrors, WriteFile

VALID_EVENT = """
event:
  id: demo
  name: Demo
  timezone: Asia/Ho_Chi_Minh
  start: 2026-10-12T07:00:00
  end: 2026-10-18T22:00:00
"""


def test_syntax_error_points_at_the_line(write: WriteFile, load_errors: LoadErrors) -> None:
    path = write(
        "event.yaml",
        """
        event:
          id: demo
          name: [unclosed
          timezone: Asia/Ho_Chi_Minh
        """,
    )
    error = load_errors(path)
    [issue] = error.issues
    assert (issue.file, issue.line, issue.path) == (path, 4, "")
    assert issue.message.startswith("invalid YAML: ")
    assert str(error).startswith(f"{path}:4:")


def test_duplicate_mapping_key(write: WriteFile, load_errors: LoadErrors) -> None:
    path = write(
        "event.yaml",
        """
        event:
          id: demo
          name: Demo
          name: Again
        """,
    )
    [issue] = load_errors(path).issues
    assert (issue.file, issue.line, issue.column, issue.path) == (path, 4, 3, "event.name")
    assert issue.message == "duplicate key 'name' (first defined on line 3)"


def test_every_duplicate_key_is_reported(write: WriteFile, load_errors: LoadErrors) -> None:
    path = write(
        "event.yaml",
        """
        sites:
          - {id: a, name: A, id: b}
        event: {}
        event: {}
        """,
    )
    issues = load_errors(path).issues
    assert [(issue.line, issue.path) for issue in issues] == [
        (2, "sites[0].id"),
        (4, "event"),
    ]


def test_unsupported_tag(write: WriteFile, load_errors: LoadErrors) -> None:
    path = write("event.yaml", "event: !include other.yaml\n")
    [issue] = load_errors(path).issues
    assert (issue.line, issue.path) == (1, "event")
    assert "cannot read this value" in issue.message


def test_top_level_must_be_a_mapping(write: WriteFile, load_errors: LoadErrors) -> None:
    path = write("event.yaml", "- just\n- a list\n")
    [issue] = load_errors(path).issues
    assert (issue.line, issue.path) == (1, "")
    assert "mapping" in issue.message


def test_empty_file_reports_the_missing_event(write: WriteFile, load_errors: LoadErrors) -> None:
    path = write("event.yaml", "")
    [issue] = load_errors(path).issues
    assert issue == ConfigIssue(
        file=path, line=1, column=1, path="event", message="missing required key 'event'"
    )


def test_not_utf8(tmp_path: Path, load_errors: LoadErrors) -> None:
    path = tmp_path / "event.yaml"
    path.write_bytes(b"event:\n  name: \xff\xfe\n")
    [issue] = load_errors(path).issues
    assert (issue.line, issue.message) == (2, "the file is not valid UTF-8 text")


def test_anchors_and_merge_keys_are_supported(write: WriteFile) -> None:
    path = write(
        "event.yaml",
        VALID_EVENT
        + """
organisation:
  units: [{id: ops, name: Operations}]
services:
  - &web
    id: site-a
    name: Site A
    kind: website
    criticality: high
    unit: ops
  - <<: *web
    id: site-b
    name: Site B
""",
    )
    services = load_config(path, environ={}).config.services
    assert [(s.id, s.kind, s.unit) for s in services] == [
        ("site-a", "website", "ops"),
        ("site-b", "website", "ops"),
    ]


def test_alias_bombs_are_bounded(write: WriteFile, load_errors: LoadErrors) -> None:
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 9)]
    path = write("event.yaml", "\n".join(lines) + "\n")
    [issue] = load_errors(path).issues
    assert "more than 250000 values" in issue.message


def test_deep_nesting_is_bounded(write: WriteFile, load_errors: LoadErrors) -> None:
    path = write("event.yaml", "event: " + "[" * 100 + "]" * 100 + "\n")
    [issue] = load_errors(path).issues
    assert "nested too deeply" in issue.message


@pytest.mark.parametrize("text", ["a: &a {<<: *a}\n", "b: &b [*b]\n"])
def test_recursive_aliases_are_bounded(
    write: WriteFile, load_errors: LoadErrors, text: str
) -> None:
    path = write("event.yaml", text)
    [issue] = load_errors(path).issues
    assert issue.line == 1
    assert "nested too deeply" in issue.message
