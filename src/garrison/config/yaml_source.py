"""Reading one YAML document into nodes that remember their file position.

PyYAML silently keeps the last of two equal keys; composing the node graph
ourselves lets us report duplicates, keep every node's position, and bound
the work that aliases can multiply.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from yaml.constructor import ConstructorError, SafeConstructor

from garrison.config.errors import ConfigIssue
from garrison.config.positions import Loc, Position
from garrison.i18n import gettext as _

MAX_NODES = 250_000
MAX_NESTING = 64

_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MERGE_TAG = "tag:yaml.org,2002:merge"


@dataclass(slots=True)
class SourceScalar:
    value: object
    position: Position


@dataclass(slots=True)
class SourceEntry:
    key_position: Position
    node: SourceNode


@dataclass(slots=True)
class SourceMapping:
    entries: dict[str, SourceEntry]
    position: Position


@dataclass(slots=True)
class SourceSequence:
    items: list[SourceNode]
    position: Position


SourceNode = SourceScalar | SourceMapping | SourceSequence


class NodeBudget:
    """How many nodes may still be built during one load (aliases can multiply them)."""

    def __init__(self, limit: int = MAX_NODES) -> None:
        self.limit = limit
        self.remaining = limit


@dataclass(slots=True)
class ParsedDocument:
    root: SourceNode | None
    issues: list[ConfigIssue]


class _Abandon(Exception):
    """Stop converting this file; the reason is already recorded as an issue."""


def parse_document(text: str, *, file: Path, budget: NodeBudget) -> ParsedDocument:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        return ParsedDocument(root=None, issues=[_syntax_issue(exc, file)])
    except yaml.YAMLError as exc:
        return ParsedDocument(root=None, issues=[_reader_issue(exc, text, file)])
    except RecursionError:
        issue = ConfigIssue.at(Position(file, 1, 1), _nesting_message())
        return ParsedDocument(root=None, issues=[issue])
    if node is None:
        return ParsedDocument(root=None, issues=[])
    converter = _Converter(file=file, budget=budget)
    try:
        root = converter.convert(node, loc=(), depth=0)
    except _Abandon:
        root = None
    return ParsedDocument(root=root, issues=converter.issues)


def _syntax_issue(exc: yaml.MarkedYAMLError, file: Path) -> ConfigIssue:
    mark = exc.problem_mark or exc.context_mark
    position = Position(file, mark.line + 1, mark.column + 1) if mark else Position(file, 1, 1)
    problem = " ".join(part for part in (exc.context, exc.problem) if part)
    return ConfigIssue.at(position, _("invalid YAML: {problem}").format(problem=problem))


def _reader_issue(exc: yaml.YAMLError, text: str, file: Path) -> ConfigIssue:
    offset = getattr(exc, "position", None)
    line, column = 1, 1
    if isinstance(offset, int):
        line = text.count("\n", 0, offset) + 1
        column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    reason = getattr(exc, "reason", None) or str(exc)
    return ConfigIssue.at(
        Position(file, line, column), _("invalid YAML: {problem}").format(problem=reason)
    )


def _nesting_message() -> str:
    return _("values are nested too deeply (more than {limit} levels)").format(limit=MAX_NESTING)


class _Converter:
    def __init__(self, *, file: Path, budget: NodeBudget) -> None:
        self.file = file
        self.budget = budget
        self.issues: list[ConfigIssue] = []
        self._constructor = SafeConstructor()

    def position(self, node: yaml.Node) -> Position:
        mark = node.start_mark
        if mark is None:
            return Position(self.file, 1, 1)
        return Position(self.file, mark.line + 1, mark.column + 1)

    def convert(self, node: yaml.Node, *, loc: Loc, depth: int) -> SourceNode:
        position = self.position(node)
        self._check_depth(depth, position=position, loc=loc)
        if self.budget.remaining <= 0:
            message = _(
                "the configuration has more than {limit} values (aliases may multiply them)"
            ).format(limit=self.budget.limit)
            self.issues.append(ConfigIssue.at(position, message, loc=loc))
            raise _Abandon
        self.budget.remaining -= 1
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, loc=loc, position=position)
        if node.tag not in (_MAP_TAG, _SEQ_TAG):
            message = _("unsupported YAML tag {tag}").format(tag=node.tag)
            self.issues.append(ConfigIssue.at(position, message, loc=loc))
        if isinstance(node, yaml.SequenceNode):
            items = [
                self.convert(child, loc=(*loc, index), depth=depth + 1)
                for index, child in enumerate(node.value)
            ]
            return SourceSequence(items=items, position=position)
        return self._mapping(node, loc=loc, depth=depth, position=position)

    def _check_depth(self, depth: int, *, position: Position, loc: Loc) -> None:
        if depth > MAX_NESTING:
            self.issues.append(ConfigIssue.at(position, _nesting_message(), loc=loc))
            raise _Abandon

    def _scalar(self, node: yaml.ScalarNode, *, loc: Loc, position: Position) -> SourceScalar:
        try:
            value = self._constructor.construct_object(node)
        except (ConstructorError, ValueError) as exc:
            problem = exc.problem if isinstance(exc, ConstructorError) else str(exc)
            message = _("cannot read this value: {problem}").format(problem=problem)
            self.issues.append(ConfigIssue.at(position, message, loc=loc))
            value = None
        return SourceScalar(value=value, position=position)

    def _mapping(
        self, node: yaml.Node, *, loc: Loc, depth: int, position: Position
    ) -> SourceMapping:
        self._check_depth(depth, position=position, loc=loc)
        entries: dict[str, SourceEntry] = {}
        merged: list[yaml.Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merged.append(value_node)
                continue
            key_position = self.position(key_node)
            if not isinstance(key_node, yaml.ScalarNode):
                message = _("keys must be plain text")
                self.issues.append(ConfigIssue.at(key_position, message, loc=loc))
                continue
            key = str(key_node.value)
            first = entries.get(key)
            if first is not None:
                message = _("duplicate key '{key}' (first defined on line {line})").format(
                    key=key, line=first.key_position.line
                )
                self.issues.append(ConfigIssue.at(key_position, message, loc=(*loc, key)))
                continue
            child = self.convert(value_node, loc=(*loc, key), depth=depth + 1)
            entries[key] = SourceEntry(key_position=key_position, node=child)
        for source in merged:
            self._merge_key(source, entries, loc=loc, depth=depth)
        return SourceMapping(entries=entries, position=position)

    def _merge_key(
        self, source: yaml.Node, entries: dict[str, SourceEntry], *, loc: Loc, depth: int
    ) -> None:
        """Apply a YAML ``<<`` merge: keys written explicitly win, then earlier sources."""
        sources = source.value if isinstance(source, yaml.SequenceNode) else [source]
        for mapping in sources:
            if not isinstance(mapping, yaml.MappingNode):
                message = _("<< must name a mapping or a list of mappings")
                self.issues.append(ConfigIssue.at(self.position(mapping), message, loc=loc))
                continue
            converted = self._mapping(
                mapping, loc=loc, depth=depth + 1, position=self.position(mapping)
            )
            for key, entry in converted.entries.items():
                entries.setdefault(key, entry)
