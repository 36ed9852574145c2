"""``include``: relative paths, nesting, merging, cycles, limits."""

from __future__ import annotations

from pathlib import Path

import pytest

from garrison.config import MAX_FILE_BYTES, MAX_FILES, MAX_INCLUDE_DEPTH, load_config

from .conftest import LoadErrors, WriteFile

EVENT = """event:
  id: demo
  name: Demo
  timezone: Asia/Ho_Chi_Minh
  start: 2026-10-12T07:00:00
  end: 2026-10-18T22:00:00
"""


def test_nested_includes_relative_to_the_including_file(write: WriteFile) -> None:
    root = write("event.yaml", "include: [parts/org.yaml]\n" + EVENT)
    org = write(
        "parts/org.yaml",
        """
        include: [more/sites.yaml]
        organisation:
          units: [{id: ops, name: Operations}]
        sites: [{id: hall, name: Hall}]
        """,
    )
    sites = write("parts/more/sites.yaml", "sites: [{id: annex, name: Annex}]\n")
    loaded = load_config(root, environ={})
    assert loaded.files == (root, org, sites)
    # Included content comes first, in include order, then the including file's own.
    assert [site.id for site in loaded.config.sites] == ["annex", "hall"]
    assert [unit.id for unit in loaded.config.organisation.units] == ["ops"]


def test_missing_include(write: WriteFile, load_errors: LoadErrors) -> None:
    root = write("event.yaml", EVENT + "include:\n  - people.yaml\n  - absent.yaml\n")
    write("people.yaml", "organisation: {}\n")
    [issue] = load_errors(root).issues
    assert (issue.file, issue.line, issue.column, issue.path) == (root, 9, 5, "include[1]")
    assert issue.message == f"file not found: {root.parent / 'absent.yaml'}"


def test_include_cycle(write: WriteFile, load_errors: LoadErrors) -> None:
    root = write("event.yaml", "include: [a.yaml]\n" + EVENT)
    write("a.yaml", "include: [b.yaml]\n")
    b = write("b.yaml", "sites: []\ninclude: [a.yaml]\n")
    [issue] = load_errors(root).issues
    assert (issue.file, issue.line, issue.path) == (b, 2, "include[0]")
    assert issue.message == "include cycle: a.yaml → b.yaml → a.yaml"


def test_including_itself(write: WriteFile, load_errors: LoadErrors) -> None:
    root = write("event.yaml", "include: [./event.yaml]\n" + EVENT)
    [issue] = load_errors(root).issues
    assert issue.message == "include cycle: event.yaml → event.yaml"


def test_a_file_is_included_once(write: WriteFile, load_errors: LoadErrors) -> None:
    root = write("event.yaml", "include: [a.yaml, common.yaml]\n" + EVENT)
    a = write("a.yaml", "include: [common.yaml]\n")
    write("common.yaml", "sites: []\n")
    [issue] = load_errors(root).issues
    assert (issue.file, issue.line, issue.path) == (root, 1, "include[1]")
    assert "already included" in issue.message
    assert a != issue.file


def test_include_must_be_a_list_of_paths(write: WriteFile, load_errors: LoadErrors) -> None:
    root = write("event.yaml", "include: people.yaml\n" + EVENT)
    [issue] = load_errors(root).issues
    assert (issue.line, issue.path) == (1, "include")
    other = write("other.yaml", "include: [7, '']\n" + EVENT)
    issues = load_errors(other).issues
    assert [issue.path for issue in issues] == ["include[0]", "include[1]"]


def test_the_same_scalar_in_two_files_is_an_error(
    write: WriteFile, load_errors: LoadErrors
) -> None:
    root = write("event.yaml", "include: [name.yaml]\n" + EVENT)
    part = write("name.yaml", "event:\n  name: Other\n")
    [issue] = load_errors(root).issues
    assert (issue.file, issue.line, issue.path) == (root, 4, "event.name")
    assert issue.message.startswith(f"'name' is already defined in {part}:2")


def test_include_depth_limit(write: WriteFile, load_errors: LoadErrors) -> None:
    root = write("event.yaml", "include: [level1.yaml]\n" + EVENT)
    for level in range(1, MAX_INCLUDE_DEPTH + 2):
        write(f"level{level}.yaml", f"include: [level{level + 1}.yaml]\n")
    write(f"level{MAX_INCLUDE_DEPTH + 2}.yaml", "sites: []\n")
    [issue] = load_errors(root).issues
    assert issue.file == root.parent / f"level{MAX_INCLUDE_DEPTH}.yaml"
    assert issue.path == "include[0]"
    assert "nested too deeply" in issue.message


def test_file_count_limit(write: WriteFile, load_errors: LoadErrors) -> None:
    names = [f"part{number}.yaml" for number in range(MAX_FILES)]
    for name in names:
        write(name, "sites: []\n")
    root = write("event.yaml", EVENT + "include:\n" + "".join(f"  - {n}\n" for n in names))
    [issue] = load_errors(root).issues
    assert (issue.file, issue.path) == (root, f"include[{MAX_FILES - 1}]")
    assert issue.message == f"too many files (at most {MAX_FILES} in total)"


def test_file_size_limit(tmp_path: Path, write: WriteFile, load_errors: LoadErrors) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * (MAX_FILE_BYTES + 1))
    root = write("event.yaml", "include: [big.yaml]\n" + EVENT)
    [issue] = load_errors(root).issues
    assert (issue.file, issue.line, issue.path) == (root, 1, "include[0]")
    assert issue.message == f"{big} is larger than 5 MB"
    [direct] = load_errors(big).issues
    assert (direct.file, direct.line, direct.path) == (big, 1, "")


def test_missing_root_file(tmp_path: Path, load_errors: LoadErrors) -> None:
    path = tmp_path / "nowhere.yaml"
    [issue] = load_errors(path).issues
    assert str(issue) == f"{path}:1:1: file not found: {path}"


@pytest.mark.parametrize("name", ["people.yaml", "./people.yaml"])
def test_include_paths_are_normalised(write: WriteFile, name: str) -> None:
    root = write("event.yaml", f"include: ['{name}']\n" + EVENT)
    people = write("people.yaml", "sites: []\n")
    assert load_config(root, environ={}).files == (root, people)


def test_include_path_with_a_nul_byte(write: WriteFile, load_errors: LoadErrors) -> None:
    root = write("event.yaml", 'include: ["a\\0b.yaml"]\n' + EVENT)
    [issue] = load_errors(root).issues
    assert (issue.line, issue.path) == (1, "include[0]")
    assert issue.message.startswith("file not found")
