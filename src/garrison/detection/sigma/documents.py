"""Rule files on disk → YAML documents, with every problem tied to its file (and rule, if known).

A folder is searched recursively for ``*.yml`` and ``*.yaml``. Sizes are bounded: a
file over :data:`MAX_FILE_BYTES`, more than :data:`MAX_DOCUMENTS_PER_FILE` documents
or more than :data:`MAX_FILES` files is refused rather than read.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sigma.collection import deep_dict_update
from sigma.rule.base import SigmaYAMLLoader

from garrison.i18n import gettext as _

MAX_FILE_BYTES = 1024 * 1024
MAX_DOCUMENTS_PER_FILE = 1000
MAX_FILES = 50_000
RULE_SUFFIXES = (".yml", ".yaml")


@dataclass(frozen=True, slots=True)
class RuleDocument:
    """One YAML document of a rule file (after Sigma's global/repeat actions are applied)."""

    path: Path
    index: int  # 1-based position in the file
    data: dict[str, Any]

    @property
    def declared_id(self) -> str | None:
        value = self.data.get("id")
        return None if value is None else str(value)[:200]

    @property
    def declared_title(self) -> str | None:
        value = self.data.get("title")
        return None if value is None else str(value)[:300]


@dataclass(frozen=True, slots=True)
class DocumentProblem:
    path: Path
    index: int | None
    rule_id: str | None
    reason: str


def rule_files(paths: Sequence[Path]) -> Iterator[Path | DocumentProblem]:
    """Every rule file under ``paths`` in a stable order, or the problem with a path."""
    count = 0
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix in RULE_SUFFIXES and p.is_file())
        elif path.is_file():
            found = [path]
        else:
            yield DocumentProblem(path, None, None, _("The path does not exist."))
            continue
        for file in found:
            count += 1
            if count > MAX_FILES:
                yield DocumentProblem(
                    file,
                    None,
                    None,
                    _("Too many rule files (at most %(max)d).") % {"max": MAX_FILES},
                )
                return
            yield file


def read_documents(path: Path) -> Iterator[RuleDocument | DocumentProblem]:
    """The Sigma documents of one file; YAML errors name the file and the line."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            yield DocumentProblem(
                path,
                None,
                None,
                _("The file is too large (%(size)d bytes, at most %(max)d).")
                % {"size": size, "max": MAX_FILE_BYTES},
            )
            return
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        yield DocumentProblem(
            path, None, None, _("Cannot read the file: %(error)s") % {"error": exc}
        )
        return
    try:
        raw_documents = list(yaml.load_all(text, Loader=SigmaYAMLLoader))
    except yaml.YAMLError as exc:
        yield DocumentProblem(path, None, None, _yaml_reason(exc))
        return
    if len(raw_documents) > MAX_DOCUMENTS_PER_FILE:
        yield DocumentProblem(
            path,
            None,
            None,
            _("Too many documents in one file (at most %(max)d).")
            % {"max": MAX_DOCUMENTS_PER_FILE},
        )
        return
    yield from _apply_actions(path, raw_documents)


def _apply_actions(
    path: Path, raw_documents: list[Any]
) -> Iterator[RuleDocument | DocumentProblem]:
    """Sigma's multi-document actions: ``global`` templates, ``reset`` and ``repeat``."""
    template: dict[str, Any] = {}
    previous: dict[str, Any] = {}
    for index, document in enumerate(raw_documents, start=1):
        if document is None:
            continue
        if not isinstance(document, dict):
            yield DocumentProblem(path, index, None, _("A rule must be a YAML mapping."))
            continue
        action = document.get("action")
        if action is None:
            if "correlation" in document or "filter" in document:
                yield RuleDocument(path, index, document)
            else:
                merged = deep_dict_update(dict(document), template)
                previous = merged
                yield RuleDocument(path, index, merged)
        elif action == "global":
            template = {key: value for key, value in document.items() if key != "action"}
        elif action == "reset":
            template = {}
        elif action == "repeat":
            repeated = {key: value for key, value in document.items() if key != "action"}
            previous = deep_dict_update(copy.deepcopy(previous), repeated)
            yield RuleDocument(path, index, previous)
        else:
            yield DocumentProblem(
                path,
                index,
                str(document.get("id")) if document.get("id") else None,
                _("Unknown Sigma collection action %(action)r.") % {"action": action},
            )


def _yaml_reason(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    if mark is not None:
        return _("Invalid YAML at line %(line)d, column %(column)d: %(problem)s") % {
            "line": mark.line + 1,
            "column": mark.column + 1,
            "problem": problem,
        }
    return _("Invalid YAML: %(problem)s") % {"problem": problem}
