"""The common machinery of lab targets that serve TCP streams.

A subclass says how to serve one connection; this class owns the listener and
the connection tasks (the fault lifecycle is :class:`ListeningTarget`'s). Given
an ``ssl_context``, every connection is TLS from its first byte; the handshake is
made by the connection's task, so that a HANG target never completes it.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from abc import abstractmethod
from typing import ClassVar

from garrison.demo.lab.errors import ListenError
from garrison.demo.lab.listening_target import ListeningTarget
from garrison.demo.lab.targets import LAB_HOST, FaultKind

logger = logging.getLogger(__name__)

_CLOSE_TIMEOUT_SECONDS = 2.0
_HANDSHAKE_TIMEOUT_SECONDS = 10.0
_READ_CHUNK_BYTES = 4 * 1024


class StreamTarget(ListeningTarget):
    read_limit: ClassVar[int] = 64 * 1024
    """The largest line or head the stream reader buffers before giving up."""

    def __init__(self, *, name: str, port: int, ssl_context: ssl.SSLContext | None = None) -> None:
        super().__init__(name=name, port=port)
        self._ssl_context = ssl_context
        self._server: asyncio.Server | None = None
        self._accepting = False
        self._connections: set[asyncio.Task[None]] = set()

    @abstractmethod
    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Serve one connection until done; the caller closes it."""

    async def _open_listener(self) -> None:
        self._accepting = True
        try:
            server = await asyncio.start_server(
                self._accept,
                LAB_HOST,
                self._port,
                limit=self.read_limit,
            )
        except OSError as exc:
            self._accepting = False
            raise ListenError(
                f"lab target {self._name!r} cannot listen on {LAB_HOST}:{self._port}: {exc}"
            ) from exc
        self._port = server.sockets[0].getsockname()[1]
        self._server = server

    def _is_listening(self) -> bool:
        return self._server is not None

    async def _close_listener(self) -> None:
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
            if self._ssl_context is not None and not await self._handshake(reader, writer):
                return
            await self._serve(reader, writer)
            abort = False
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        except Exception:
            logger.exception("demo lab: a connection to %s failed", self._name)
        finally:
            await _close_connection(writer, abort=abort)

    async def _handshake(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Start TLS, unless the fault is HANG: a hung (or cut off) server never completes it."""
        if self.fault is FaultKind.HANG:
            await drain_until_eof(reader)
            return False
        assert self._ssl_context is not None
        try:
            async with asyncio.timeout(_HANDSHAKE_TIMEOUT_SECONDS):
                await writer.start_tls(self._ssl_context)
        except TimeoutError:
            return False
        return True


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
