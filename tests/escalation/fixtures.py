"""Fixtures shared by the escalation, notification and directive tests (imported by their
conftest modules): the real receivers, the scenario file, settings that point at it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import trustme
from argon2 import PasswordHasher

from garrison.auth import passwords
from garrison.settings import Settings
from tests.escalation.factories import SMTP_PASSWORD, SMTP_USER, Endpoints, write_scenario
from tests.notify.sinks import HttpSink, SmtpSink, http_sink, smtp_sink, write_ca

CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
SECRET_KEY = "test-secret-key-for-signed-links-0123456789"


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "password_hasher", lambda: CHEAP_HASHER)


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
async def smtp(ca: trustme.CA) -> AsyncIterator[SmtpSink]:
    async with smtp_sink(ca, username=SMTP_USER, password=SMTP_PASSWORD) as sink:
        yield sink


@pytest.fixture
async def receiver() -> AsyncIterator[HttpSink]:
    async with http_sink() as sink:
        yield sink


@pytest.fixture
def endpoints(tmp_path: Path, ca: trustme.CA, smtp: SmtpSink, receiver: HttpSink) -> Endpoints:
    return Endpoints(
        smtp_port=smtp.port,
        ca_file=write_ca(ca, tmp_path),
        webhook_url=f"{receiver.url}/hooks",
        chat_url=f"{receiver.url}/chat",
        sms_url=f"{receiver.url}/sms",
    )


@pytest.fixture
def config_path(tmp_path: Path, endpoints: Endpoints) -> Path:
    return write_scenario(tmp_path / "event.yaml", endpoints)


@pytest.fixture
def settings(tmp_path: Path, database_url: str, config_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        config_file=config_path,
        secret_key=SECRET_KEY,
    )
