"""The event's mail relay: an SMTP listener (aiosmtpd) with optional STARTTLS.

It greets, answers EHLO with its extensions (STARTTLS when given a TLS context),
and accepts mail for the event's domain, which it counts and drops. Faults: DOWN
(nothing listens), HANG (connections are accepted, never greeted) and ERROR
(the greeting is ``421``, then the connection is closed, as a relay over its
limits does).
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from typing import ClassVar, Protocol

from aiosmtpd.smtp import SMTP, Envelope, Session

from garrison.demo.lab.errors import ListenError
from garrison.demo.lab.listening_target import ListeningTarget
from garrison.demo.lab.targets import LAB_HOST, FaultKind

logger = logging.getLogger(__name__)

MAIL_DOMAIN = "congress.example"
_HOSTNAME = f"mail.{MAIL_DOMAIN}"
_IDENT = "Garrison lab mail relay"
_SESSION_TIMEOUT_SECONDS = 30.0
_MAX_MESSAGE_BYTES = 1024 * 1024
_CLOSE_TIMEOUT_SECONDS = 2.0
_UNAVAILABLE = f"421 4.3.2 {_HOSTNAME} Service not available, closing transmission channel\r\n"


class SmtpRelay(ListeningTarget):
    kind: ClassVar[str] = "smtp"
    supported_faults: ClassVar[frozenset[FaultKind]] = frozenset(
        {FaultKind.DOWN, FaultKind.HANG, FaultKind.ERROR}
    )

    def __init__(self, *, name: str, port: int, tls: ssl.SSLContext | None = None) -> None:
        super().__init__(name=name, port=port)
        self._tls = tls
        self._server: asyncio.Server | None = None
        self._connections: set[_Connection] = set()
        self._handler = _Mailbox()

    @property
    def offers_starttls(self) -> bool:
        return self._tls is not None

    @property
    def messages_received(self) -> int:
        return self._handler.received

    def _is_listening(self) -> bool:
        return self._server is not None

    async def _open_listener(self) -> None:
        # aiosmtpd logs every command at INFO: a probe every few seconds would drown the log.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        loop = asyncio.get_running_loop()
        try:
            server = await loop.create_server(self._protocol, LAB_HOST, self._port)
        except OSError as exc:
            raise ListenError(
                f"lab target {self._name!r} cannot listen on {LAB_HOST}:{self._port}: {exc}"
            ) from exc
        self._port = server.sockets[0].getsockname()[1]
        self._server = server

    async def _close_listener(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
        connections = list(self._connections)
        for connection in connections:
            connection.abort()
        waits = [connection.finished() for connection in connections]
        if waits:
            try:
                async with asyncio.timeout(_CLOSE_TIMEOUT_SECONDS):
                    await asyncio.gather(*waits)
            except TimeoutError:
                logger.warning("demo lab: connections to %s did not close in time", self._name)
        if server is not None:
            await server.wait_closed()

    def _protocol(self) -> asyncio.Protocol:
        """A protocol for one new connection, as the fault at accept time has it."""
        if self._server is None:
            return _Silent(self._connections, refuse=True)
        if self._fault is FaultKind.HANG:
            return _Silent(self._connections)
        if self._fault is FaultKind.ERROR:
            return _Silent(self._connections, greeting=_UNAVAILABLE.encode("ascii"))
        return _LabSmtp(self._connections, self._handler, self._tls)


class _Connection(Protocol):
    """What the relay needs of every connection: drop it, and know when it is gone."""

    def abort(self) -> None: ...

    async def finished(self) -> None: ...


class _Mailbox:
    """aiosmtpd's handler: accepts mail for the event's domain, counts it and drops it."""

    def __init__(self) -> None:
        self.received = 0

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if not address.lower().endswith(f"@{MAIL_DOMAIN}"):
            return "550 5.7.1 Relaying denied"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.received += 1
        return "250 2.0.0 Message accepted"


class _LabSmtp(SMTP):
    def __init__(
        self,
        connections: set[_Connection],
        handler: _Mailbox,
        tls: ssl.SSLContext | None,
    ) -> None:
        super().__init__(
            handler,
            hostname=_HOSTNAME,
            ident=_IDENT,
            tls_context=tls,
            data_size_limit=_MAX_MESSAGE_BYTES,
            timeout=_SESSION_TIMEOUT_SECONDS,
            loop=asyncio.get_running_loop(),
        )
        self._registry = connections
        self._lost = asyncio.Event()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if self.transport is None:  # not the second call, after STARTTLS
            self._registry.add(self)
        super().connection_made(transport)

    def connection_lost(self, error: Exception | None) -> None:
        try:
            super().connection_lost(error)
        finally:
            self._registry.discard(self)
            self._lost.set()

    def abort(self) -> None:
        _abort(self.transport)
        _abort(self._original_transport)

    async def finished(self) -> None:
        await self._lost.wait()
        # aiosmtpd cancels its per-connection task when the connection is lost: let it end.
        task = self._handler_coroutine
        if task is not None:
            await asyncio.wait([task])


class _Silent(asyncio.Protocol):
    """A connection that is never served: optionally greeted with a refusal, then closed."""

    def __init__(
        self, connections: set[_Connection], *, greeting: bytes = b"", refuse: bool = False
    ) -> None:
        self._registry = connections
        self._greeting = greeting
        self._refuse = refuse
        self._transport: asyncio.BaseTransport | None = None
        self._lost = asyncio.Event()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport
        if self._refuse:
            _abort(transport)
            return
        self._registry.add(self)
        if self._greeting:
            assert isinstance(transport, asyncio.WriteTransport)
            transport.write(self._greeting)
            transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._registry.discard(self)
        self._lost.set()

    def abort(self) -> None:
        _abort(self._transport)

    async def finished(self) -> None:
        await self._lost.wait()


def _abort(transport: asyncio.BaseTransport | None) -> None:
    if isinstance(transport, asyncio.WriteTransport):
        transport.abort()
    elif transport is not None:
        transport.close()
