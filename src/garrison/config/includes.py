"""Reading the root file and the files it includes into one tree of positioned nodes.

``include`` lists paths relative to the including file. Each included file is
read first, in order, then the including file itself; their top-level trees
are merged: mappings key by key, lists joined in that order. Any other value
may be defined in one file only.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from garrison.config.errors import ConfigIssue
from garrison.config.positions import Loc, Position
from garrison.config.yaml_source import (
    NodeBudget,
    SourceMapping,
    SourceScalar,
    SourceSequence,
    parse_document,
)
from garrison.i18n import gettext as _

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_FILES = 50
MAX_INCLUDE_DEPTH = 10
INCLUDE_KEY = "include"


@dataclass(frozen=True, slots=True)
class SourceFile:
    path: Path
    content: bytes


@dataclass(slots=True)
class SourceTree:
    """Everything read for one load: the merged tree, the files in load order, the problems."""

    root: SourceMapping | None = None
    files: list[SourceFile] = field(default_factory=list)
    issues: list[ConfigIssue] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Origin:
    """The ``include`` entry that named a file, where problems with that file are reported."""

    position: Position
    loc: Loc


def read_source_tree(path: Path) -> SourceTree:
    reader = _IncludeReader()
    reader.tree.root = reader.read(path, chain=(), origin=None)
    return reader.tree


class _IncludeReader:
    def __init__(self) -> None:
        self.tree = SourceTree()
        self.budget = NodeBudget()
        self.loaded: dict[Path, Path] = {}

    def report(self, origin: _Origin | None, file: Path, message: str) -> None:
        if origin is None:
            self.tree.issues.append(ConfigIssue.at(Position(file, 1, 1), message))
        else:
            self.tree.issues.append(ConfigIssue.at(origin.position, message, loc=origin.loc))

    def read(
        self, path: Path, *, chain: tuple[Path, ...], origin: _Origin | None
    ) -> SourceMapping | None:
        try:
            resolved = path.resolve()
        except (OSError, RuntimeError, ValueError):
            # Symbolic-link loops and NUL bytes cannot be resolved: such a path names no file.
            self.report(origin, path, _("file not found: {file}").format(file=path))
            return None
        if not self._may_read(path, resolved, chain=chain, origin=origin):
            return None
        content = self._read_bytes(path, origin)
        if content is None:
            return None
        self.tree.files.append(SourceFile(path=path, content=content))
        self.loaded[resolved] = path
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = content.count(b"\n", 0, exc.start) + 1
            message = _("the file is not valid UTF-8 text")
            self.tree.issues.append(ConfigIssue.at(Position(path, line, 1), message))
            return None
        parsed = parse_document(text, file=path, budget=self.budget)
        self.tree.issues.extend(parsed.issues)
        if parsed.root is None:
            return None if parsed.issues else SourceMapping({}, Position(path, 1, 1))
        if not isinstance(parsed.root, SourceMapping):
            message = _("the file must hold a mapping (key: value) at the top level")
            self.tree.issues.append(ConfigIssue.at(parsed.root.position, message))
            return None
        merged = SourceMapping({}, parsed.root.position)
        for child_path, child_origin in self._includes(path, parsed.root):
            child = self.read(child_path, chain=(*chain, resolved), origin=child_origin)
            if child is not None:
                self._merge(merged, child, loc=())
        self._merge(merged, parsed.root, loc=())
        return merged

    def _may_read(
        self, path: Path, resolved: Path, *, chain: tuple[Path, ...], origin: _Origin | None
    ) -> bool:
        if resolved in chain:
            names = [self.loaded[link].name for link in chain[chain.index(resolved) :]]
            cycle = " → ".join([*names, path.name])
            message = _("include cycle: {cycle}").format(cycle=cycle)
        elif resolved in self.loaded:
            message = _("{file} is already included; a file can be included only once").format(
                file=path
            )
        elif len(chain) > MAX_INCLUDE_DEPTH:
            message = _("includes are nested too deeply (more than {limit} levels)").format(
                limit=MAX_INCLUDE_DEPTH
            )
        elif len(self.tree.files) >= MAX_FILES:
            message = _("too many files (at most {limit} in total)").format(limit=MAX_FILES)
        else:
            return True
        self.report(origin, path, message)
        return False

    def _read_bytes(self, path: Path, origin: _Origin | None) -> bytes | None:
        try:
            if not path.is_file():
                self.report(origin, path, _("file not found: {file}").format(file=path))
                return None
            if path.stat().st_size > MAX_FILE_BYTES:
                message = _("{file} is larger than {limit} MB").format(
                    file=path, limit=MAX_FILE_BYTES // (1024 * 1024)
                )
                self.report(origin, path, message)
                return None
            return path.read_bytes()
        except OSError as exc:
            message = _("cannot read {file}: {reason}").format(file=path, reason=exc.strerror)
            self.report(origin, path, message)
            return None

    def _includes(self, path: Path, root: SourceMapping) -> list[tuple[Path, _Origin]]:
        entry = root.entries.pop(INCLUDE_KEY, None)
        if entry is None:
            return []
        if not isinstance(entry.node, SourceSequence):
            message = _("include must be a list of file paths")
            self.tree.issues.append(ConfigIssue.at(entry.key_position, message, loc=(INCLUDE_KEY,)))
            return []
        found: list[tuple[Path, _Origin]] = []
        for index, item in enumerate(entry.node.items):
            loc: Loc = (INCLUDE_KEY, index)
            if (
                not isinstance(item, SourceScalar)
                or not isinstance(item.value, str)
                or not item.value
            ):
                message = _("each include must be a file path")
                self.tree.issues.append(ConfigIssue.at(item.position, message, loc=loc))
                continue
            target = Path(os.path.normpath(path.parent / item.value))
            found.append((target, _Origin(position=item.position, loc=loc)))
        return found

    def _merge(self, target: SourceMapping, source: SourceMapping, *, loc: Loc) -> None:
        for key, entry in source.entries.items():
            existing = target.entries.get(key)
            if existing is None:
                target.entries[key] = entry
                continue
            if isinstance(existing.node, SourceMapping) and isinstance(entry.node, SourceMapping):
                self._merge(existing.node, entry.node, loc=(*loc, key))
            elif isinstance(existing.node, SourceSequence) and isinstance(
                entry.node, SourceSequence
            ):
                existing.node.items.extend(entry.node.items)
            else:
                first = existing.key_position
                message = _(
                    "'{key}' is already defined in {file}:{line}; only mappings and lists "
                    "may be spread over several files"
                ).format(key=key, file=first.file, line=first.line)
                self.tree.issues.append(
                    ConfigIssue.at(entry.key_position, message, loc=(*loc, key))
                )
