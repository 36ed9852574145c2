"""Real servers on 127.0.0.1 for the runners' tests: TCP, HTTP(S), misbehaving peers."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

StreamHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
HOST = "127.0.0.1"


@contextlib.asynccontextmanager
async def tcp_server(
    handler: StreamHandler, *, tls: ssl.SSLContext | None = None
) -> AsyncIterator[int]:
    """A stream server on 127.0.0.1 (a free port, yielded); handlers are cancelled on exit."""
    tasks: set[asyncio.Future[None]] = set()

    async def guarded(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # The handler runs in a task of its own, so that stopping the server cancels it
        # without asyncio logging the cancelled connection callback as an error.
        task = asyncio.ensure_future(handler(reader, writer))
        tasks.add(task)
        try:
            await task
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        except asyncio.CancelledError:
            if not task.cancelled():
                raise
        finally:
            writer.transport.abort()
            tasks.discard(task)

    server = await asyncio.start_server(guarded, HOST, 0, ssl=tls)
    port: int = server.sockets[0].getsockname()[1]
    try:
        yield port
    finally:
        server.close()
        for task in list(tasks):
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()


async def read_request(reader: asyncio.StreamReader) -> tuple[str, str, dict[str, str], bytes]:
    """Method, path, headers (lower-cased names) and body of one HTTP request."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _version = lines[0].split(" ", 2)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    body = await reader.readexactly(length) if length else b""
    return method, path, headers, body


def http_answer(
    status: int = 200,
    body: bytes = b"",
    *,
    headers: dict[str, str] | None = None,
    reason: str = "OK",
) -> bytes:
    lines = [f"HTTP/1.1 {status} {reason}", f"Content-Length: {len(body)}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


Route = Callable[[asyncio.StreamReader, asyncio.StreamWriter, "Request"], Awaitable[None]]


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class HttpSite:
    """Fixed answers by path, plus routes that misbehave on purpose."""

    pages: dict[str, bytes] = field(default_factory=dict)
    routes: dict[str, Route] = field(default_factory=dict)
    seen: list[Request] = field(default_factory=list)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        method, path, headers, body = await read_request(reader)
        request = Request(method, path, headers, body)
        self.seen.append(request)
        route = self.routes.get(path)
        if route is not None:
            await route(reader, writer, request)
            return
        writer.write(self.pages.get(path, http_answer(404, b"not found", reason="Not Found")))
        await writer.drain()


async def huge_body(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: Request
) -> None:
    """100 MB announced and sent, 64 KiB at a time, for as long as the client reads."""
    size = 100 * 1024 * 1024
    writer.write(f"HTTP/1.1 200 OK\r\nContent-Length: {size}\r\n\r\n".encode())
    chunk = b"x" * 65_536
    for _ in range(size // len(chunk)):
        writer.write(chunk)
        await writer.drain()


async def never_closes(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: Request
) -> None:
    """A body delimited by the end of the connection, which never comes."""
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nstill here")
    await writer.drain()
    await asyncio.Event().wait()


async def trickles(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: Request
) -> None:
    """One byte every 50 ms, forever."""
    for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + b"y" * 100_000:
        writer.write(bytes([byte]))
        await writer.drain()
        await asyncio.sleep(0.05)


async def garbage_status(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: Request
) -> None:
    writer.write(b"HELLO THERE, THIS IS NOT HTTP\r\n\r\n")
    await writer.drain()


async def closes_at_once(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: Request
) -> None:
    writer.transport.close()


async def echo_request(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: Request
) -> None:
    text = f"{request.method} {request.headers.get('x-probe', '-')} ".encode() + request.body
    writer.write(http_answer(200, text))
    await writer.drain()


async def half_server_hello(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Reads a ClientHello, answers half a ServerHello record, then waits forever."""
    await reader.read(4096)
    writer.write(bytes.fromhex("160303004a0200004603030102030405"))
    await writer.drain()
    await asyncio.Event().wait()


async def closes_mid_handshake(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.read(4096)
    writer.write(bytes.fromhex("160303004a02000046"))
    await writer.drain()
    writer.transport.close()


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (bound, then released)."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
    return port


async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Accepts, then says nothing."""
    await asyncio.Event().wait()
