"""The event and clock the readiness page tests run with: the readiness scenario's event
file, ten days before the event opens, and a request limit above the evidence limit (so
the service's own 5 MiB limit is what refuses a file)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from garrison.clock import ManualClock
from garrison.settings import Settings
from tests.reports.scenario import write_scenario

# 2026-06-01 00:00 in Hanoi (the event's start) is ten days after this.
PREPARATION = datetime(2026, 5, 21, 17, 0, tzinfo=UTC)
REQUEST_LIMIT = 8 * 1024 * 1024


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return write_scenario(tmp_path / "event.yaml")


@pytest.fixture
def settings(tmp_path: Path, database_url: str, config_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        config_file=config_path,
        max_request_bytes=REQUEST_LIMIT,
    )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(PREPARATION)


def redirected_id(response: httpx.Response, pattern: str) -> int:
    """The id in a 303's location, e.g. ``/readiness/tasks/(\\d+)``."""
    assert response.status_code == 303, response.text
    found = re.search(pattern, response.headers["location"])
    assert found is not None, response.headers["location"]
    return int(found.group(1))
