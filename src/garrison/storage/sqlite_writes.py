"""In-process FIFO queue for SQLite's single write lock.

SQLite lets one transaction write at a time; a writer that finds the lock taken
sleeps and polls in its busy handler, which is unfair: a writer that commits and
begins again at once (the signal intake under a flood) re-takes the lock before a
sleeping one wakes, and the sleeper times out with "database is locked". Within one
process, writers therefore queue on an asyncio lock (first come, first served) taken
just before ``BEGIN IMMEDIATE`` and released right after ``COMMIT``/``ROLLBACK``; no
in-process writer ever waits in SQLite's busy handler. Other processes (CLI commands)
still meet this process there, through ``busy_timeout``.

A task that holds the write lock and begins a write on another connection would wait
for itself until the timeout; it fails at once with :class:`WriterSelfDeadlock`.
"""

from __future__ import annotations

import asyncio
import sqlite3
import weakref
from collections.abc import MutableMapping
from typing import Any

from sqlalchemy.exc import OperationalError
from sqlalchemy.util import await_

# conn.info key (the pool record's info, so pool events see it too): the write lock
# this connection holds.
HELD = "garrison_sqlite_write_lock"


class WriterSelfDeadlock(RuntimeError):
    """The task holding the SQLite write lock began a write on another connection."""


class _LoopLock:
    """The write lock of one engine within one event loop."""

    __slots__ = ("__weakref__", "lock", "loop", "owner")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.lock = asyncio.Lock()
        self.owner: asyncio.Task[Any] | None = None

    def release(self) -> None:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self.loop:
            self._release()
        elif not self.loop.is_closed():
            # Called from another thread (a connection collected by the GC there).
            self.loop.call_soon_threadsafe(self._release)

    def _release(self) -> None:
        self.owner = None
        if self.lock.locked():
            self.lock.release()


class WriteQueue:
    """One per engine: hands SQLite's write lock to in-process writers in turn."""

    def __init__(self, *, timeout: float) -> None:
        self._timeout = timeout
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopLock] = (
            weakref.WeakKeyDictionary()
        )

    def acquire(self, info: MutableMapping[Any, Any]) -> None:
        """Wait (from SQLAlchemy's sync code, in its greenlet) for this process's turn."""
        if info.get(HELD) is not None:
            return
        loop = asyncio.get_running_loop()
        loop_lock = self._locks.get(loop)
        if loop_lock is None:
            loop_lock = self._locks[loop] = _LoopLock(loop)
        task = asyncio.current_task(loop)
        if task is not None and loop_lock.owner is task:
            raise WriterSelfDeadlock(
                "this task already holds the SQLite write lock on another connection; "
                "commit that session first or write through it"
            )
        await_(self._wait(loop_lock.lock))
        loop_lock.owner = task
        info[HELD] = loop_lock

    async def _wait(self, lock: asyncio.Lock) -> None:
        try:
            async with asyncio.timeout(self._timeout):
                await lock.acquire()
        except TimeoutError as error:
            raise OperationalError(
                "BEGIN IMMEDIATE",
                None,
                sqlite3.OperationalError("database is locked (in-process write queue)"),
            ) from error


def release(info: MutableMapping[Any, Any]) -> None:
    """Give the write lock held through this connection, if any, to the next writer."""
    loop_lock = info.pop(HELD, None)
    if isinstance(loop_lock, _LoopLock):
        loop_lock.release()
