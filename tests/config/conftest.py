from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from garrison.config import ConfigValidationError, load_config

WriteFile = Callable[[str, str], Path]
LoadErrors = Callable[[Path], ConfigValidationError]


@pytest.fixture
def write(tmp_path: Path) -> WriteFile:
    """Write dedented YAML text to ``tmp_path / name`` and return the path."""

    def write_file(name: str, text: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return write_file


@pytest.fixture
def load_errors() -> LoadErrors:
    """Load a file that must be invalid, with an empty environment; return the error."""

    def load(path: Path) -> ConfigValidationError:
        with pytest.raises(ConfigValidationError) as caught:
            load_config(path, environ={})
        return caught.value

    return load
