"""Where a value sits: a file position, and the field path that leads to it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

Loc = tuple[str | int, ...]
"""A field path as pydantic reports it: mapping keys and list indexes."""


@dataclass(frozen=True, slots=True)
class Position:
    """A place in a file; line and column are 1-based."""

    file: Path
    line: int
    column: int


def format_path(loc: Loc) -> str:
    """Render ``("services", 3, "depends_on", 0)`` as ``services[3].depends_on[0]``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text
