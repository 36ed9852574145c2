"""Engine and session factories; backend differences are detected once, here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

SQLITE_BUSY_TIMEOUT_MS = 30_000


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What the backend can do, so domain code never tests the dialect name itself."""

    dialect: str
    row_locks: bool
    concurrent_writers: bool


def capabilities_for(url: str) -> Capabilities:
    dialect = make_url(url).get_backend_name()
    if dialect == "sqlite":
        return Capabilities(dialect=dialect, row_locks=False, concurrent_writers=False)
    return Capabilities(dialect=dialect, row_locks=True, concurrent_writers=True)


def normalise_url(url: str) -> str:
    """Pick the async driver for a plain URL (``postgresql://`` → asyncpg)."""
    parsed = make_url(url)
    driver = parsed.drivername
    if driver in {"postgresql", "postgres", "postgresql+psycopg2", "postgresql+psycopg"}:
        parsed = parsed.set(drivername="postgresql+asyncpg")
    elif driver == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    return parsed.render_as_string(hide_password=False)


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    url = normalise_url(url)
    kwargs: dict[str, Any] = {"echo": echo}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        # Requests and workers queue on SQLite's single writer; a small pool turns a burst
        # of signals into pool time-outs (HTTP 500) instead of a short wait.
        kwargs["pool_size"] = 20
        kwargs["max_overflow"] = 40
        kwargs["pool_timeout"] = 60
    else:
        kwargs["pool_pre_ping"] = True
        kwargs["pool_size"] = 10
    engine = create_async_engine(url, **kwargs)
    if url.startswith("sqlite"):
        event.listen(engine.sync_engine, "connect", _sqlite_on_connect)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
