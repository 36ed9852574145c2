"""The common machinery of lab targets that serve TCP streams.

A subclass says how to serve one connection; this class owns the listener, the
connection tasks and the DOWN fault, which looks the same for every stream
protocol: the listener is closed and open connections are dropped.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from typing import ClassVar

from garrison.demo.lab.errors import ListenError, UnsupportedFaultError
from garrison.demo.lab.targets import LAB_HOST, FaultKind, TargetStatus

logger = logging.getLogger(__name__)

_CLOSE_TIMEOUT_SECONDS = 2.0
_MAX_PORT = 65535
_READ_CHUNK_BYTES = 4 * 1024


class StreamTarget(ABC):
    kind: ClassVar[str]
    supported_faults: ClassVar[frozenset[FaultKind]]
    read_limit: ClassVar[int] = 64 * 1024
    """The largest line or head the stream reader buffers before giving up."""

    def __init__(self, *, name: str, port: int) -> None:
        if not name:
            raise ValueError("a lab target needs a name")
        if not 0 <= port <= _MAX_PORT:
            raise ValueError(f"port {port} is out of range")
        self._name = name
        self._port = port
        self._fault: FaultKind | None = None
        self._started = False
        self._server: asyncio.Server | None = None
        self._accepting = False
        self._connections: set[asyncio.Task[None]] = set()
        self._lock = asyncio.Lock()

    @property
    def name(self) -> str:
        return self._name

    @property
    def port(self) -> int:
        """The port served; the bound one once started, even if it was asked as 0."""
        return self._port

    @property
    def fault(self) -> FaultKind | None:
        return self._fault

    def status(self) -> TargetStatus:
        return TargetStatus(
            name=self._name,
            kind=self.kind,
            host=LAB_HOST,
            port=self._port,
            listening=self._server is not None,
            fault=self._fault,
        )

    async def start(self) -> None:
        async with self._lock:
            if self._started:
                return
            # Bind even when starting DOWN, so that a port asked as 0 becomes known.
            await self._open_listener()
            self._started = True
            if self._fault is FaultKind.DOWN:
                await self._close_listener()

    async def stop(self) -> None:
        async with self._lock:
            self._started = False
            await self._close_listener()

    async def set_fault(self, fault: FaultKind | None) -> None:
        if fault is not None and fault not in self.supported_faults:
            raise UnsupportedFaultError(
                f"lab target {self._name!r} ({self.kind}) cannot simulate {fault.value!r}"
            )
        async with self._lock:
            # The fault is recorded once in effect: a target that fails to listen again stays DOWN.
            if self._started and fault is FaultKind.DOWN:
                await self._close_listener()
            elif self._started and self._server is None:
                await self._open_listener()
            self._fault = fault

    @abstractmethod
    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Serve one connection until done; the caller closes it."""

    async def _open_listener(self) -> None:
        self._accepting = True
        try:
            server = await asyncio.start_server(
                self._accept, LAB_HOST, self._port, limit=self.read_limit
            )
        except OSError as exc:
            self._accepting = False
            raise ListenError(
                f"lab target {self._name!r} cannot listen on {LAB_HOST}:{self._port}: {exc}"
            ) from exc
        self._port = server.sockets[0].getsockname()[1]
        self._server = server

    async def _close_listener(self) -> None:
        """Close the listener, if open, and drop every connection, even if it was not."""
        self._accepting = False
        server, self._server = self._server, None
        if server is not None:
            server.close()
        # A connection accepted just before the close can still arrive: loop until none is left.
        while self._connections:
            pending = list(self._connections)
            for task in pending:
                task.cancel()
            await asyncio.wait(pending)
        if server is not None:
            await server.wait_closed()

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self._accepting:
            writer.transport.abort()
            return
        task = asyncio.get_running_loop().create_task(
            self._run_connection(reader, writer), name=f"lab-{self._name}-connection"
        )
        self._connections.add(task)
        task.add_done_callback(self._connections.discard)

    async def _run_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        abort = True
        try:
            await self._serve(reader, writer)
            abort = False
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        except Exception:
            logger.exception("demo lab: a connection to %s failed", self._name)
        finally:
            await _close_connection(writer, abort=abort)


async def _close_connection(writer: asyncio.StreamWriter, *, abort: bool) -> None:
    if abort:
        writer.transport.abort()
    else:
        writer.close()
    try:
        async with asyncio.timeout(_CLOSE_TIMEOUT_SECONDS):
            await writer.wait_closed()
    except (OSError, TimeoutError):
        writer.transport.abort()


async def drain_until_eof(reader: asyncio.StreamReader) -> None:
    """Read and discard until the peer closes: accept, never answer."""
    while await reader.read(_READ_CHUNK_BYTES):
        pass
