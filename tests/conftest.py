"""Fixtures shared by every domain's tests: a migrated database on SQLite and PostgreSQL,
an application context with a controllable clock, and an HTTP client for the app."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from garrison.clock import ManualClock
from garrison.runtime.assembly import open_context
from garrison.runtime.context import AppContext
from garrison.settings import Settings
from garrison.storage.engine import create_engine
from garrison.storage.migrate import upgrade

POSTGRES_URL_VARIABLE = "GARRISON_TEST_POSTGRES_URL"
TEST_START = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


def postgres_url() -> str | None:
    return os.environ.get(POSTGRES_URL_VARIABLE) or None


def _backends() -> list[object]:
    backends: list[object] = ["sqlite"]
    if postgres_url() is not None:
        backends.append(pytest.param("postgresql", marks=pytest.mark.postgres))
    elif os.environ.get("CI") == "true":
        raise RuntimeError(
            f"{POSTGRES_URL_VARIABLE} must be set in CI: PostgreSQL tests may not skip"
        )
    return backends


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test instead of migrating again."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = create_engine(f"sqlite+aiosqlite:///{path}")

    async def migrate() -> None:
        await upgrade(engine)
        await engine.dispose()

    asyncio.run(migrate())
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """A migrated PostgreSQL database used as the template of each test's database."""
    base = postgres_url()
    assert base is not None
    name = f"garrison_tpl_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin(base, f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    engine = create_engine(url)

    async def migrate() -> None:
        await upgrade(engine)
        await engine.dispose()

    asyncio.run(migrate())
    yield name
    asyncio.run(_admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _admin(base_url: str, statement: str) -> None:
    engine = create_engine(base_url)
    try:
        async with engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.fixture(params=_backends())
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[str]:
    """A freshly migrated, empty database for one test, on each configured backend."""
    if request.param == "sqlite":
        path = tmp_path / "garrison.db"
        shutil.copyfile(sqlite_template, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    template = request.getfixturevalue("postgres_template")
    base = postgres_url()
    assert base is not None
    name = f"garrison_t_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(base, f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    yield make_url(base).set(database=name).render_as_string(hide_password=False)
    asyncio.run(_admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=database_url)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(TEST_START)


@pytest.fixture
async def context(settings: Settings, clock: ManualClock) -> AsyncIterator[AppContext]:
    async with open_context(settings, clock=clock) as context:
        context.workers.expected = ()
        yield context


@pytest.fixture
async def client(context: AppContext) -> AsyncIterator[httpx.AsyncClient]:
    from garrison.web.app import create_app  # noqa: PLC0415 - only tests that use HTTP need the app

    app = create_app(context)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client
