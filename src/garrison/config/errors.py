"""What is wrong with a configuration, and where.

ConfigError (garrison.errors)
└── ConfigValidationError   one or more ConfigIssue, each with file, line, column and field path
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from garrison.config.positions import Loc, Position, format_path
from garrison.errors import ConfigError


@dataclass(frozen=True, slots=True)
class ConfigIssue:
    """One problem: ``file:line:column`` (1-based), the field path and a translated message."""

    file: Path
    line: int
    column: int
    path: str
    message: str

    @classmethod
    def at(cls, position: Position, message: str, *, loc: Loc = ()) -> ConfigIssue:
        return cls(
            file=position.file,
            line=position.line,
            column=position.column,
            path=format_path(loc),
            message=message,
        )

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        if self.path:
            return f"{where}: {self.path}: {self.message}"
        return f"{where}: {self.message}"


class ConfigValidationError(ConfigError):
    """The configuration is invalid; ``str()`` gives one line per issue, sorted by file and line."""

    def __init__(self, issues: Iterable[ConfigIssue]) -> None:
        self.issues: list[ConfigIssue] = sorted(issues, key=_sort_key)
        super().__init__("\n".join(str(issue) for issue in self.issues))


def _sort_key(issue: ConfigIssue) -> tuple[str, int, int]:
    return (str(issue.file), issue.line, issue.column)
