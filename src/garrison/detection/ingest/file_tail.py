"""Following a log file across rotation, truncation and restarts.

The offset reached is saved in the database with the file's identity (device, inode):
after a restart, reading resumes there if it is still the same file, and from the start
of the new file if it was rotated meanwhile. While running, a new inode at the path
(rotation by rename) is noticed: the old file is read to its end, then the new one from
its start. A file that shrinks below the offset (``copytruncate``) is read from its start.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from garrison.config.detection import FileSource
from garrison.detection.ingest import service
from garrison.detection.ingest.builder import EventBuilder
from garrison.detection.pipeline import DetectionPipeline

logger = logging.getLogger(__name__)

READ_CHUNK = 65_536
MAX_READ_PER_POLL = 4 * 1024 * 1024


@dataclass(slots=True)
class _OpenFile:
    handle: BinaryIO
    device: int
    inode: int
    offset: int


class FileTail:
    def __init__(
        self,
        *,
        config: FileSource,
        builder: EventBuilder,
        pipeline: DetectionPipeline,
        sessions: async_sessionmaker[AsyncSession],
        now: Callable[[], datetime],
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.config = config
        self._builder = builder
        self._pipeline = pipeline
        self._sessions = sessions
        self._now = now
        self._sleep = sleep
        self._current: _OpenFile | None = None
        self._partial = bytearray()
        self._partial_cut = False
        self._pending = 0  # bytes read since the last newline (more than _partial when cut)
        self._saved: tuple[int, int, int] | None = None

    async def run(self) -> None:
        """Follow the file until cancelled; a missing file is waited for."""
        try:
            await self.open()
            while True:
                await self.poll_once()
                await self._sleep(self.config.poll_interval)
        finally:
            self.close()

    async def poll_once(self) -> int:
        """Read what is new (switching files on rotation); returns the bytes read."""
        if self._current is None:
            self._current = self._open(offset=0)
            if self._current is None:
                return 0
        read = await self._read_available()
        identity = _identity(self.config.path)
        current = self._current
        if identity is not None and identity != (current.device, current.inode):
            # Rotated: the old file is read to its end above; the new one starts at 0.
            read += await self._read_available()
            await self._finish_partial_line()
            self.close()
            self._current = self._open(offset=0)
        elif identity is not None and _size(self.config.path) < current.offset:
            logger.info("file source %s was truncated; reading from the start", self.config.name)
            self._partial.clear()
            self._pending = 0
            current.handle.seek(0)
            current.offset = 0
        await self._save_offset()
        return read

    async def open(self) -> None:
        """Open the file where the saved offset says (or per ``start_at`` the first time)."""
        async with self._sessions() as session:
            saved = await service.get_file_offset(session, source=self.config.name)
        identity = _identity(self.config.path)
        if identity is None:
            return
        if saved is not None and (saved.device, saved.inode) == identity:
            offset = saved.offset if saved.offset <= _size(self.config.path) else 0
        elif saved is not None or self.config.start_at == "beginning":
            offset = 0
        else:
            offset = _size(self.config.path)
        self._current = self._open(offset=offset)

    def _open(self, *, offset: int) -> _OpenFile | None:
        try:
            handle = Path(self.config.path).open("rb")  # noqa: SIM115 - kept open between polls
        except OSError:
            return None
        stat = os.fstat(handle.fileno())
        handle.seek(offset)
        return _OpenFile(handle, stat.st_dev, stat.st_ino, offset)

    def close(self) -> None:
        if self._current is not None:
            self._current.handle.close()
            self._current = None

    async def _read_available(self) -> int:
        current = self._current
        assert current is not None
        total = 0
        while total < MAX_READ_PER_POLL:
            chunk = current.handle.read(READ_CHUNK)
            if not chunk:
                break
            total += len(chunk)
            await self._feed(chunk)
            current.offset += len(chunk)
        return total

    async def _feed(self, chunk: bytes) -> None:
        limit = self._builder.limits.max_event_bytes
        lines = chunk.split(b"\n")
        for index, piece in enumerate(lines):
            last = index == len(lines) - 1
            self._pending += len(piece) + (0 if last else 1)
            room = limit - len(self._partial)
            if room > 0:
                self._partial += piece[:room]
            if len(piece) > room:
                self._partial_cut = True
            if not last:
                await self._emit(bytes(self._partial), self._partial_cut)
                self._partial.clear()
                self._partial_cut = False
                self._pending = 0

    async def _finish_partial_line(self) -> None:
        """A rotated file's last line without a newline is still a line."""
        if self._partial:
            await self._emit(bytes(self._partial), self._partial_cut)
        self._partial.clear()
        self._partial_cut = False
        self._pending = 0

    async def _emit(self, data: bytes, cut: bool) -> None:
        metrics = self._pipeline.metrics
        source = self._builder.source
        if cut:
            metrics.rejected.labels(source, "truncated").inc()
        try:
            events = self._builder.from_bytes(data, self._now()).events
        except Exception:
            logger.exception("file source %s could not parse a line", source)
            metrics.rejected.labels(source, "parser_error").inc()
            return
        if events:
            await self._pipeline.submit(events)
            metrics.events_in.labels(source).inc(sum(1 for e in events if e.kind == "log"))

    async def _save_offset(self) -> None:
        current = self._current
        if current is None:
            return
        # An unfinished last line is read again after a restart, not lost.
        position = (current.device, current.inode, current.offset - self._pending)
        if position == self._saved:
            return
        async with self._sessions() as session:
            await service.save_file_offset(
                session,
                source=self.config.name,
                path=str(self.config.path),
                device=current.device,
                inode=current.inode,
                offset=position[2],
                now=self._now(),
            )
            await session.commit()
        self._saved = position


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
