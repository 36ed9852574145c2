"""Engine and session factories; backend differences are detected once, here.

SQLite transactions are begun by SQLAlchemy, not by the driver (whose implicit
transactions start only at the first INSERT/UPDATE/DELETE, leaving earlier reads
outside), and they begin ``IMMEDIATE``: a transaction holds the write lock from its
first statement, so one that reads then writes waits its turn (``busy_timeout``)
instead of failing with "database is locked" — in WAL mode a deferred transaction
that has read cannot wait for the lock, its snapshot being stale once another writer
commits. Sessions marked with :func:`reading` (requests that only read, mostly) begin
deferred and do not wait for writers; at their first write they end the read and
begin again ``IMMEDIATE``, which is READ COMMITTED, as on PostgreSQL. Within the
process, writers take turns on a FIFO queue before ``BEGIN IMMEDIATE``
(:mod:`garrison.storage.sqlite_writes`), so none starves in SQLite's busy handler.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy import Connection, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from garrison.storage.sqlite_writes import HELD, WriteQueue, release

SQLITE_BUSY_TIMEOUT_MS = 30_000
# Execution option naming how a SQLite transaction begins: "IMMEDIATE" (default) or
# "DEFERRED" (set by :func:`reading`); other backends ignore it.
BEGIN_OPTION = "garrison_sqlite_begin"
_DEFERRED = "DEFERRED"
_IMMEDIATE = "IMMEDIATE"
# Execution options of a connection that reads (mostly), like a session marked reading.
READING_OPTIONS: dict[str, Any] = {BEGIN_OPTION: _DEFERRED}
# conn.info key: this transaction began deferred and has not written yet.
_DEFERRED_OPEN = "garrison_deferred_open"
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


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
        _listen_sqlite(engine, WriteQueue(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000))
    return engine


def _listen_sqlite(engine: AsyncEngine, queue: WriteQueue) -> None:
    sync_engine = engine.sync_engine
    event.listen(sync_engine, "connect", _sqlite_on_connect)
    event.listen(sync_engine, "begin", partial(_sqlite_begin, queue))
    event.listen(sync_engine, "before_cursor_execute", partial(_sqlite_before_execute, queue))
    event.listen(sync_engine, "commit", _sqlite_commit)
    event.listen(sync_engine, "rollback", _sqlite_rollback)
    # A connection returned, invalidated or closed without a commit or rollback through
    # SQLAlchemy (a cancelled task, the garbage collector) gives its turn back too.
    for name in ("checkin", "invalidate", "close"):
        event.listen(sync_engine, name, _sqlite_pool_release)


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()
    # The driver begins no transaction of its own: _sqlite_begin does.
    dbapi_connection.isolation_level = None


def _sqlite_begin(queue: WriteQueue, connection: Connection) -> None:
    mode = connection.get_execution_options().get(BEGIN_OPTION, _IMMEDIATE)
    deferred = mode == _DEFERRED
    connection.info[_DEFERRED_OPEN] = deferred
    if deferred:
        connection.exec_driver_sql("BEGIN DEFERRED")
        return
    queue.acquire(connection.info)
    try:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    except BaseException:
        release(connection.info)
        raise


def _sqlite_commit(connection: Connection) -> None:
    """Commit now, then give the write lock to the next writer.

    SQLAlchemy fires this event before its own COMMIT, which then finds no transaction
    and does nothing. Should COMMIT fail, the lock stays held: SQLAlchemy's COMMIT
    tries again and raises the error its usual way, and the rollback that follows
    releases it.
    """
    if HELD not in connection.info:
        return
    try:
        connection.connection.dbapi_connection.commit()  # type: ignore[union-attr]
    except Exception:  # SQLAlchemy's own COMMIT, next, reports it
        return
    release(connection.info)


def _sqlite_rollback(connection: Connection) -> None:
    # An invalidated connection's lock was given back by the pool's invalidate event.
    if connection.invalidated or connection.closed or HELD not in connection.info:
        return
    try:
        connection.connection.dbapi_connection.rollback()  # type: ignore[union-attr]
    finally:
        release(connection.info)


def _sqlite_pool_release(_dbapi_connection: Any, record: Any, *_args: Any) -> None:
    if record is not None:
        release(record.info)


def _sqlite_before_execute(
    queue: WriteQueue,
    connection: Connection,
    cursor: Any,
    statement: str,
    _parameters: Any,
    _context: Any,
    _executemany: bool,
) -> None:
    """A deferred transaction about to write ends its read and begins IMMEDIATE."""
    if not connection.info.get(_DEFERRED_OPEN):
        return
    if not statement.lstrip()[:7].upper().startswith(_WRITES):
        return
    connection.info[_DEFERRED_OPEN] = False
    queue.acquire(connection.info)
    if connection.in_nested_transaction():
        return  # a savepoint cannot be carried over; SQLite upgrades in place
    # Nothing written yet: ending the transaction only drops its snapshot.
    cursor.execute("COMMIT")
    cursor.execute("BEGIN IMMEDIATE")


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def reading(session: AsyncSession) -> AsyncSession:
    """Mark ``session`` as reading (mostly): on SQLite its transactions begin deferred.

    Call before its first statement. It then never waits for a writer; a write it
    makes after all starts a fresh IMMEDIATE transaction (what it read before may have
    changed meanwhile, as under READ COMMITTED). No effect on other backends.
    """
    sync = session.sync_session
    sync.execution_options = sync.execution_options.union(READING_OPTIONS)
    return session
