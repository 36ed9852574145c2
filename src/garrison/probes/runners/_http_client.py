"""A lean HTTP/1.1 client for probes: one request per connection, bounded reading.

Built on an asyncio protocol and httptools (llhttp) rather than a general client,
because a probe engine runs thousands of these every few seconds: what costs CPU
here costs it ten thousand times. Every response is read up to ``max_body_bytes``
(the rest is dropped and the connection closed), headers up to 64 KiB.
"""

from __future__ import annotations

import asyncio
import codecs
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from time import perf_counter
from urllib.parse import urljoin, urlsplit

import httptools

from garrison.i18n import gettext as _
from garrison.probes.runners._net import ip_literal, resolve, tls_context
from garrison.probes.runners._outcome import ProbeFailure, Trace

MAX_HEAD_BYTES = 64 * 1024
MAX_HEADERS = 200
MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
USER_AGENT = "Garrison-probe/1"
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_CHARSET = re.compile(r"charset=[\"']?([\w.:-]+)", re.IGNORECASE)
_FORBIDDEN_IN_VALUE = re.compile(r"[\r\n\x00]")
_HOP_HEADERS = frozenset({"connection", "content-length", "transfer-encoding"})
_CREDENTIAL_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})


@dataclass(frozen=True, slots=True)
class HttpOptions:
    method: str = "GET"
    headers: Mapping[str, str] | None = None
    body: str | None = None
    verify_tls: bool = True
    ca_file: str | None = None
    max_body_bytes: int = 1_048_576
    follow_redirects: bool = False


@dataclass(frozen=True, slots=True)
class HttpResponse:
    url: str
    status: int
    reason: str
    version: str
    headers: tuple[tuple[str, str], ...]
    """Names lower-cased, in the order received."""
    body: bytes
    truncated: bool
    redirects: tuple[str, ...]
    joined: Mapping[str, str] | None = field(default=None, repr=False, compare=False)
    """The headers by (lower-case) name, repeated ones joined; built with the response."""

    def header(self, name: str) -> str | None:
        if self.joined is not None:
            return self.joined.get(name)
        values = [value for key, value in self.headers if key == name]
        return ", ".join(values) if values else None

    def text(self) -> str:
        return self.body.decode(self.charset(), errors="replace")

    def charset(self) -> str:
        content_type = self.header("content-type") or ""
        match = _CHARSET.search(content_type)
        return _codec_name(match.group(1)) if match else "utf-8"


@lru_cache(maxsize=256)
def _codec_name(label: str) -> str:
    try:
        return codecs.lookup(label).name
    except LookupError:
        return "utf-8"


@dataclass(frozen=True, slots=True)
class _Target:
    url: str
    tls: bool
    host: str
    port: int
    path: str
    host_header: str

    @property
    def origin(self) -> tuple[bool, str, int]:
        return (self.tls, self.host, self.port)


# Targets and request bytes are cached: the same checks run every few seconds.
@lru_cache(maxsize=16_384)
def _parse_url(url: str) -> _Target:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise ProbeFailure(
            _("url {url} is not valid: {problem}").format(url=url, problem=error)
        ) from error
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ProbeFailure(_("url {url} is not an http:// or https:// URL").format(url=url))
    tls = parts.scheme == "https"
    default_port = 443 if tls else 80
    host = parts.hostname
    shown = f"[{host}]" if ":" in host else host
    host_header = shown if port in (None, default_port) else f"{shown}:{port}"
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return _Target(url, tls, host, port or default_port, path, host_header)


def _request_bytes(
    target: _Target, method: str, headers: Mapping[str, str], body: bytes | None
) -> bytes:
    return _cached_request_bytes(target, method, tuple(headers.items()), body)


@lru_cache(maxsize=16_384)
def _cached_request_bytes(
    target: _Target, method: str, headers: tuple[tuple[str, str], ...], body: bytes | None
) -> bytes:
    # A Host header given by the check wins (a virtual host reached by its address).
    lines = [f"{method} {target.path} HTTP/1.1"]
    given = set()
    for name, value in headers:
        if not _TOKEN.match(name):
            raise ProbeFailure(_("headers: {name!r} is not a valid header name").format(name=name))
        if _FORBIDDEN_IN_VALUE.search(value):
            raise ProbeFailure(
                _("headers.{name}: the value contains a line break").format(name=name)
            )
        lowered = name.lower()
        if lowered in _HOP_HEADERS:
            continue
        given.add(lowered)
        lines.append(f"{name}: {value}")
    if "host" not in given:
        lines.insert(1, f"Host: {target.host_header}")
    if "user-agent" not in given:
        lines.append(f"User-Agent: {USER_AGENT}")
    if "accept" not in given:
        lines.append("Accept: */*")
    lines.append("Connection: close")
    if body is not None or method in ("POST", "PUT"):
        lines.append(f"Content-Length: {len(body or b'')}")
    try:
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    except UnicodeEncodeError as error:
        raise ProbeFailure(_("headers: only Latin-1 text is allowed in HTTP headers")) from error
    return head + body if body else head


class _ResponseProtocol(asyncio.Protocol):
    """Feeds what arrives to llhttp and keeps a bounded copy; ``done`` resolves when judged."""

    def __init__(self, trace: Trace, done: asyncio.Future[None], *, max_body: int, head_only: bool):
        self.trace = trace
        self.done = done
        self.max_body = max_body
        self.head_only = head_only
        # Dropped by ``detach`` once judged: parser and protocol refer to each other.
        self.parser: httptools.HttpResponseParser | None = httptools.HttpResponseParser(self)
        self.status = 0
        self.version = ""
        self.reason = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self.head_bytes = 0
        self.body: list[bytes] = []
        self.body_size = 0
        self.truncated = False
        self.headers_complete = False
        self.framed = False
        self.complete = False
        self.first_byte_at = 0.0
        self.failure: ProbeFailure | None = None

    # asyncio.Protocol

    def data_received(self, data: bytes) -> None:
        parser = self.parser
        if self.done.done() or parser is None:
            return
        if not self.first_byte_at:
            self.first_byte_at = perf_counter()
            self.trace.step = "body"
        try:
            parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self.complete = True
        except httptools.HttpParserError as error:
            self._finish(_("invalid HTTP response: {problem}").format(problem=error))
            return
        if self.failure is not None or self.complete or self.truncated:
            self._finish()

    def eof_received(self) -> bool:
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        if self.done.done():
            return
        if self.headers_complete and not self.framed:
            self._finish()  # a body delimited by the end of the connection
        elif self.headers_complete:
            self._finish(
                _("the connection closed after {size} bytes of the body").format(
                    size=self.body_size
                )
            )
        elif not self.first_byte_at:
            self._finish(_("the connection closed without an answer"))
        else:
            self._finish(_("the connection closed in the middle of the response headers"))

    def detach(self) -> None:
        """Drop the parser: the cycle it makes with this protocol would wait for the collector."""
        self.parser = None

    def _finish(self, reason: str | None = None) -> None:
        if reason is not None and self.failure is None:
            self.failure = ProbeFailure(reason)
        if not self.done.done():
            self.done.set_result(None)

    # httptools callbacks

    def on_message_begin(self) -> None:
        self.reason = b""
        self.headers = []

    def on_status(self, status: bytes) -> None:
        if len(self.reason) < 512:
            self.reason += status

    def on_header(self, name: bytes, value: bytes) -> None:
        self.head_bytes += len(name) + len(value)
        if self.head_bytes > MAX_HEAD_BYTES or len(self.headers) >= MAX_HEADERS:
            if self.failure is None:
                self.failure = ProbeFailure(_("the response headers are too large"))
            return
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        assert self.parser is not None  # called only while it parses
        status = self.status = self.parser.get_status_code()
        self.version = self.parser.get_http_version()
        if 100 <= status < 200 and status != 101:
            return  # an interim answer; the final one follows
        self.headers_complete = True
        for name, _value in self.headers:
            if name.lower() in (b"content-length", b"transfer-encoding"):
                self.framed = True
        if self.head_only or self.max_body == 0 or status in (204, 304):
            self.complete = True

    def on_body(self, body: bytes) -> None:
        if self.truncated or self.complete:
            return  # past the limit, or a body where none belongs (HEAD, 204, 304)
        room = self.max_body - self.body_size
        if len(body) > room:
            body = body[:room]
            self.truncated = True
        self.body.append(body)
        self.body_size += len(body)

    def on_message_complete(self) -> None:
        if self.headers_complete:
            self.complete = True


async def _connect(protocol: _ResponseProtocol, target: _Target, trace: Trace) -> asyncio.Transport:
    addresses = await resolve(target.host, target.port, trace)
    loop = asyncio.get_running_loop()
    trace.step = "connect"
    trace.restart_phase()
    last_error: OSError | None = None
    for _family, address in addresses:
        try:
            transport, _protocol = await loop.create_connection(
                lambda: protocol, address, target.port
            )
        except OSError as error:
            last_error = error
            continue
        trace.end_phase("connect")
        return transport
    assert last_error is not None
    raise last_error


async def _exchange(
    target: _Target, method: str, request: bytes, options: HttpOptions, trace: Trace
) -> tuple[_ResponseProtocol, float]:
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()
    protocol = _ResponseProtocol(
        trace, done, max_body=options.max_body_bytes, head_only=method == "HEAD"
    )
    transport = await _connect(protocol, target, trace)
    try:
        if target.tls:
            trace.step = "tls"
            context = tls_context(verify=options.verify_tls, ca_file=options.ca_file)
            name = ip_literal(target.host) or target.host
            secured = await loop.start_tls(transport, protocol, context, server_hostname=name)
            if secured is None:
                raise ProbeFailure(_("the connection closed during the TLS handshake"))
            transport = secured
            trace.end_phase("tls")
        trace.step = "first_byte"
        transport.write(request)
        sent_at = perf_counter()
        await done
    finally:
        protocol.detach()
        transport.abort()
    if protocol.first_byte_at:
        first_byte = (protocol.first_byte_at - sent_at) * 1000.0
        trace.phases["first_byte"] = trace.phases.get("first_byte", 0.0) + first_byte
    if protocol.failure is not None:
        raise protocol.failure
    return protocol, sent_at


async def fetch(url: str, options: HttpOptions, trace: Trace) -> HttpResponse:
    """Send one request (and follow up to 5 redirects when asked); phases add up over hops."""
    method = options.method
    headers = dict(options.headers or {})
    body = options.body.encode() if options.body is not None else None
    redirects: list[str] = []
    target = _parse_url(url)
    while True:
        request = _request_bytes(target, method, headers, body)
        protocol, _sent = await _exchange(target, method, request, options, trace)
        response = _response(target.url, protocol, tuple(redirects))
        location = response.header("location")
        if not (options.follow_redirects and response.status in REDIRECT_STATUSES and location):
            return response
        if len(redirects) >= MAX_REDIRECTS:
            raise ProbeFailure(
                _("more than {count} redirects (the last to {url})").format(
                    count=MAX_REDIRECTS, url=location
                ),
                redirects=redirects,
            )
        next_target = _parse_url(urljoin(target.url, location))
        redirects.append(next_target.url)
        if response.status == 303 or (response.status in (301, 302) and method == "POST"):
            method, body = "GET", None
        if next_target.origin != target.origin:
            headers = {k: v for k, v in headers.items() if k.lower() not in _CREDENTIAL_HEADERS}
        target = next_target


def _response(url: str, protocol: _ResponseProtocol, redirects: tuple[str, ...]) -> HttpResponse:
    headers = [
        (name.decode("latin-1").lower(), value.decode("latin-1").strip())
        for name, value in protocol.headers
    ]
    joined = dict(headers)
    if len(joined) != len(headers):  # a repeated header: its values joined, in order
        joined = {}
        for name, value in headers:
            known = joined.get(name)
            joined[name] = value if known is None else f"{known}, {value}"
    body = protocol.body
    return HttpResponse(
        url=url,
        status=protocol.status,
        reason=protocol.reason.decode("latin-1").strip(),
        version=protocol.version,
        headers=tuple(headers),
        body=body[0] if len(body) == 1 else b"".join(body),
        truncated=protocol.truncated,
        redirects=redirects,
        joined=joined,
    )
