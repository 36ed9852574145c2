"""Fixtures for the probe engine: cheap password hashing for the API tests' users."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from garrison.auth import passwords

CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "password_hasher", lambda: CHEAP_HASHER)
