"""Turning the merged node tree into plain data, and remembering where each value came from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from garrison.config.errors import ConfigIssue
from garrison.config.positions import Loc, Position
from garrison.config.substitution import SubstitutionError, substitute_variables
from garrison.config.yaml_source import SourceMapping, SourceNode, SourceScalar
from garrison.i18n import gettext as _


@dataclass(frozen=True, slots=True)
class SourceMap:
    """Field path → file position, for reporting problems found after parsing."""

    root: Position
    positions: Mapping[Loc, Position]
    from_environment: frozenset[Loc]

    def position_of(self, loc: Loc) -> Position:
        """The position of ``loc``, or of the deepest enclosing value that has one."""
        for end in range(len(loc), 0, -1):
            found = self.positions.get(loc[:end])
            if found is not None:
                return found
        return self.root

    def issue(self, loc: Loc, message: str) -> ConfigIssue:
        return ConfigIssue.at(self.position_of(loc), message, loc=loc)

    def quote(self, loc: Loc, value: str) -> str:
        """Show a value in a message, unless it came from the environment (maybe a secret)."""
        if loc in self.from_environment:
            return _("(a value from the environment)")
        return f"'{value}'"


@dataclass(slots=True)
class PlainData:
    data: dict[str, Any]
    source_map: SourceMap
    issues: list[ConfigIssue] = field(default_factory=list)


def to_plain_data(root: SourceMapping, *, environ: Mapping[str, str]) -> PlainData:
    flattener = _Flattener(environ)
    data = flattener.mapping(root, loc=())
    source_map = SourceMap(
        root=root.position,
        positions=flattener.positions,
        from_environment=frozenset(flattener.from_environment),
    )
    return PlainData(data=data, source_map=source_map, issues=flattener.issues)


class _Flattener:
    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ
        self.positions: dict[Loc, Position] = {}
        self.from_environment: set[Loc] = set()
        self.issues: list[ConfigIssue] = []

    def mapping(self, node: SourceMapping, *, loc: Loc) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, entry in node.entries.items():
            child_loc = (*loc, key)
            self.positions[child_loc] = entry.key_position
            result[key] = self.value(entry.node, loc=child_loc)
        return result

    def value(self, node: SourceNode, *, loc: Loc) -> Any:
        if isinstance(node, SourceMapping):
            return self.mapping(node, loc=loc)
        if isinstance(node, SourceScalar):
            return self.scalar(node, loc=loc)
        items: list[Any] = []
        for index, item in enumerate(node.items):
            item_loc = (*loc, index)
            self.positions[item_loc] = item.position
            items.append(self.value(item, loc=item_loc))
        return items

    def scalar(self, node: SourceScalar, *, loc: Loc) -> Any:
        if not isinstance(node.value, str):
            return node.value
        try:
            substituted = substitute_variables(node.value, self.environ)
        except SubstitutionError as exc:
            self.issues.append(ConfigIssue.at(node.position, str(exc), loc=loc))
            return node.value
        if substituted.used_environment:
            self.from_environment.add(loc)
        return substituted.text
