from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from garrison.settings import Settings
from tests.readiness.factories import WatchedClock
from tests.reports.scenario import write_scenario

# Preparation: ten days before the event opens (2026-06-01 00:00 in Hanoi).
PREPARATION = datetime(2026, 5, 21, 17, 0, tzinfo=UTC)


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return write_scenario(tmp_path / "event.yaml")


@pytest.fixture
def settings(tmp_path: Path, database_url: str, config_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=database_url, config_file=config_path)


@pytest.fixture
def clock() -> WatchedClock:
    return WatchedClock(PREPARATION)
