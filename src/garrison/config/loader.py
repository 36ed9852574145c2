"""Loading an event configuration: read, substitute, validate, cross-check.

Each stage reports every problem it finds; a stage runs only when the one
before it found none, so that one mistake is not reported again as many.
Loading reads files and writes nothing.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from garrison.config.consistency import find_inconsistencies
from garrison.config.errors import ConfigValidationError
from garrison.config.includes import SourceFile, read_source_tree
from garrison.config.models import EventConfig
from garrison.config.source_map import to_plain_data
from garrison.config.validation_issues import issues_from_validation_error


@dataclass(frozen=True, slots=True)
class LoadedConfig:
    config: EventConfig
    files: tuple[Path, ...]
    """Every file read, root first, in the order they were read."""
    digest: str
    """sha256 (hex) of the files' bytes in that order."""


def load_config(path: Path, *, environ: Mapping[str, str] | None = None) -> LoadedConfig:
    """Load and check ``path`` and its includes; raise ConfigValidationError listing every issue.

    ``${VAR}`` references are read from ``environ`` (default: the process environment).
    """
    tree = read_source_tree(path)
    if tree.issues or tree.root is None:
        raise ConfigValidationError(tree.issues)
    plain = to_plain_data(tree.root, environ=os.environ if environ is None else environ)
    if plain.issues:
        raise ConfigValidationError(plain.issues)
    source_map = plain.source_map
    try:
        config = EventConfig.model_validate(plain.data)
    except ValidationError as exc:
        issues = issues_from_validation_error(exc, source_map=source_map)
        raise ConfigValidationError(issues) from None
    inconsistencies = find_inconsistencies(config, quote=source_map.quote)
    if inconsistencies:
        raise ConfigValidationError(
            source_map.issue(found.loc, found.message) for found in inconsistencies
        )
    return LoadedConfig(
        config=config,
        files=tuple(file.path for file in tree.files),
        digest=_digest(tree.files),
    )


def _digest(files: list[SourceFile]) -> str:
    digest = hashlib.sha256()
    for file in files:
        digest.update(file.content)
    return digest.hexdigest()
