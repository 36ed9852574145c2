"""Duty tests run against a Garrison started with a configuration file (tests/duty/factories)."""

from __future__ import annotations

from pathlib import Path

import pytest
from argon2 import PasswordHasher

from garrison.auth import passwords
from garrison.settings import Settings
from tests.duty.factories import write_config

CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "password_hasher", lambda: CHEAP_HASHER)


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return write_config(tmp_path / "event.yaml")


@pytest.fixture
def settings(tmp_path: Path, database_url: str, config_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=database_url, config_file=config_path)
