"""The CLI's context object: global flags, turned into Settings on first use."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from garrison.settings import Settings, load_settings


@dataclass(slots=True)
class CliState:
    settings_file: Path | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    _settings: Settings | None = None

    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(
                settings_file=self.settings_file, overrides=self.overrides
            )
        return self._settings
