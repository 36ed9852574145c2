"""Real receivers on 127.0.0.1 for the notification tests.

- ``SmtpSink``: an aiosmtpd server that requires STARTTLS and AUTH (a trustme CA
  signs its certificate) and keeps every message.
- ``HttpSink``: a small HTTP/1.1 server (h11) that keeps every request and answers
  with the statuses it is told to (200 by default): a webhook, chat or SMS gateway.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import h11
import trustme
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

HOST = "127.0.0.1"
WAIT_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class ReceivedMail:
    sender: str
    recipients: tuple[str, ...]
    message: Message
    used_tls: bool
    login: str | None

    @property
    def text(self) -> str:
        payload = self.message.get_payload(decode=True)
        assert isinstance(payload, bytes)
        return payload.decode("utf-8")


class _Mailbox:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content or b""
        assert isinstance(raw, bytes)
        data = session.auth_data if session.authenticated else None
        login = data.login if isinstance(data, LoginPassword) else None
        self.sink.received(
            ReceivedMail(
                sender=str(envelope.mail_from),
                recipients=tuple(envelope.rcpt_tos),
                message=message_from_bytes(raw),
                used_tls=session.ssl is not None,
                login=login.decode() if isinstance(login, bytes) else None,
            )
        )
        return "250 OK"


@dataclass(slots=True)
class SmtpSink:
    username: str
    password: str
    ca: trustme.CA
    port: int = 0
    messages: list[ReceivedMail] = field(default_factory=list)
    _server: asyncio.Server | None = None
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        good = isinstance(data, LoginPassword) and (
            data.login.decode(),
            data.password.decode(),
        ) == (self.username, self.password)
        return AuthResult(success=good, handled=False, auth_data=data if good else None)

    def _tls(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ca.issue_cert(HOST, "localhost").configure_cert(context)
        return context

    async def start(self, port: int = 0) -> int:
        tls = self._tls()
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: SMTP(
                _Mailbox(self),
                hostname="mail.test",
                tls_context=tls,
                require_starttls=True,
                authenticator=self._authenticate,
                auth_require_tls=True,
            ),
            HOST,
            port,
        )
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self.port

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(2):
                    await server.wait_closed()

    def received(self, mail: ReceivedMail) -> None:
        self.messages.append(mail)
        self._changed.set()

    async def wait_for(self, count: int, seconds: float = WAIT_SECONDS) -> list[ReceivedMail]:
        async with asyncio.timeout(seconds):
            while len(self.messages) < count:
                self._changed.clear()
                await self._changed.wait()
        return list(self.messages)


def write_ca(ca: trustme.CA, directory: Path) -> Path:
    path = directory / "smtp-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


@contextlib.asynccontextmanager
async def smtp_sink(
    ca: trustme.CA, *, username: str = "garrison", password: str = "relay-password-1"
) -> AsyncIterator[SmtpSink]:
    sink = SmtpSink(username=username, password=password, ca=ca)
    await sink.start()
    try:
        yield sink
    finally:
        await sink.stop()


@dataclass(frozen=True, slots=True)
class ReceivedRequest:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes


@dataclass(slots=True)
class HttpSink:
    statuses: list[int] = field(default_factory=list)
    """Statuses for the next requests, in order; 200 once they are used up."""
    requests: list[ReceivedRequest] = field(default_factory=list)
    port: int = 0
    _server: asyncio.Server | None = None
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, HOST, 0)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(2):
                    await server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connection = h11.Connection(h11.SERVER)
        request: h11.Request | None = None
        body = b""
        try:
            while True:
                event = connection.next_event()
                if event is h11.NEED_DATA:
                    connection.receive_data(await reader.read(65536))
                elif isinstance(event, h11.Request):
                    request = event
                elif isinstance(event, h11.Data):
                    body += bytes(event.data)
                elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
                    break
            if request is None:
                return
            self._record(request, body)
            status = self.statuses.pop(0) if self.statuses else 200
            answer = b'{"ok": true}' if status < 300 else b'{"error": "refused"}'
            headers = [("content-length", str(len(answer))), ("connection", "close")]
            writer.write(connection.send(h11.Response(status_code=status, headers=headers)) or b"")
            writer.write(connection.send(h11.Data(data=answer)) or b"")
            writer.write(connection.send(h11.EndOfMessage()) or b"")
            await writer.drain()
        except (h11.RemoteProtocolError, ConnectionError):
            pass
        finally:
            writer.close()

    def _record(self, request: h11.Request, body: bytes) -> None:
        headers = {name.decode().lower(): value.decode() for name, value in request.headers}
        self.requests.append(
            ReceivedRequest(
                method=request.method.decode(),
                target=request.target.decode(),
                headers=headers,
                body=body,
            )
        )
        self._changed.set()

    async def wait_for(self, count: int, seconds: float = WAIT_SECONDS) -> list[ReceivedRequest]:
        async with asyncio.timeout(seconds):
            while len(self.requests) < count:
                self._changed.clear()
                await self._changed.wait()
        return list(self.requests)


@contextlib.asynccontextmanager
async def http_sink(statuses: list[int] | None = None) -> AsyncIterator[HttpSink]:
    sink = HttpSink(statuses=list(statuses or []))
    await sink.start()
    try:
        yield sink
    finally:
        await sink.stop()
