"""A small HTTP/1.1 web site that can be told to fail: 503, slow, hanging, refusing or defaced.

Given an ``ssl_context``, the site speaks HTTPS instead.
"""

from __future__ import annotations

import asyncio
import dataclasses
import ssl
from collections.abc import Mapping
from http import HTTPStatus
from typing import ClassVar

from garrison.demo.lab.defacement import DEFACED_PATHS, render_defaced
from garrison.demo.lab.http_wire import (
    MAX_HEAD_BYTES,
    MalformedRequestError,
    Request,
    Response,
    encode_response,
    parse_request_head,
    plain_response,
)
from garrison.demo.lab.site_pages import SitePage, render_site
from garrison.demo.lab.stream_target import StreamTarget, drain_until_eof
from garrison.demo.lab.targets import FaultKind, TargetStatus

_IDLE_TIMEOUT_SECONDS = 30.0
_BODY_TIMEOUT_SECONDS = 10.0
_LINGER_SECONDS = 1.0
_LINGER_MAX_BYTES = 256 * 1024
_READ_CHUNK_BYTES = 4 * 1024
_ALLOWED_METHODS = ("GET", "HEAD")

_UNAVAILABLE = plain_response(
    HTTPStatus.SERVICE_UNAVAILABLE, "Service Unavailable", headers=(("Retry-After", "30"),)
)
_NOT_FOUND = plain_response(HTTPStatus.NOT_FOUND, "Not Found")
_NOT_ALLOWED = plain_response(
    HTTPStatus.METHOD_NOT_ALLOWED, "Method Not Allowed", headers=(("Allow", "GET, HEAD"),)
)


class HttpSite(StreamTarget):
    kind: ClassVar[str] = "http"
    supported_faults: ClassVar[frozenset[FaultKind]] = frozenset(
        {FaultKind.DOWN, FaultKind.ERROR, FaultKind.SLOW, FaultKind.HANG, FaultKind.DEFACE}
    )
    read_limit: ClassVar[int] = MAX_HEAD_BYTES

    def __init__(
        self,
        *,
        name: str,
        port: int,
        page: SitePage,
        slow_delay: float = 3.0,
        extra_resources: Mapping[str, Response] | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        """``extra_resources`` adds paths to the site's own (or replaces them)."""
        super().__init__(name=name, port=port, ssl_context=ssl_context)
        if slow_delay < 0:
            raise ValueError("slow_delay cannot be negative")
        self._page = page
        self._resources = {**render_site(page), **(extra_resources or {})}
        defaced = render_defaced(page.title)
        self._defaced = {**self._resources, **dict.fromkeys(DEFACED_PATHS, defaced)}
        self._slow_delay = slow_delay

    def status(self) -> TargetStatus:
        status = super().status()
        if self._ssl_context is None:
            return status
        return dataclasses.replace(status, kind="https")

    @property
    def page(self) -> SitePage:
        return self._page

    @property
    def slow_delay(self) -> float:
        """Seconds a SLOW site waits before answering (real time: it is what clients see)."""
        return self._slow_delay

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                request = await _read_request(reader)
            except MalformedRequestError as exc:
                await _reject(reader, writer, exc.status)
                return
            if request is None or not await self._answer(request, reader, writer):
                return

    async def _answer(
        self, request: Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        """Answer one request; whether the connection stays open for the next."""
        fault = self.fault
        if fault is FaultKind.HANG:
            await drain_until_eof(reader)
            return False
        if fault is FaultKind.SLOW:
            await asyncio.sleep(self._slow_delay)
        response = _UNAVAILABLE if fault is FaultKind.ERROR else self._route(request)
        writer.write(
            encode_response(
                response, head_only=request.method == "HEAD", keep_alive=request.keep_alive
            )
        )
        await writer.drain()
        return request.keep_alive

    def _route(self, request: Request) -> Response:
        if request.method not in _ALLOWED_METHODS:
            return _NOT_ALLOWED
        resources = self._defaced if self.fault is FaultKind.DEFACE else self._resources
        return resources.get(request.path, _NOT_FOUND)


async def _read_request(reader: asyncio.StreamReader) -> Request | None:
    """The next request, with its body read and dropped; None once the client is gone or idle."""
    try:
        async with asyncio.timeout(_IDLE_TIMEOUT_SECONDS):
            head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, TimeoutError):
        return None
    except asyncio.LimitOverrunError as exc:
        raise MalformedRequestError(
            "request head too large", status=HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
        ) from exc
    request = parse_request_head(head)
    if length := request.content_length:
        try:
            async with asyncio.timeout(_BODY_TIMEOUT_SECONDS):
                await reader.readexactly(length)
        except (asyncio.IncompleteReadError, TimeoutError):
            return None
    return request


async def _reject(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, status: HTTPStatus
) -> None:
    response = plain_response(status, status.phrase)
    writer.write(encode_response(response, head_only=False, keep_alive=False))
    await writer.drain()
    if writer.can_write_eof():
        writer.write_eof()
    # Closing with unread input would reset the connection and could destroy the answer
    # before the client reads it: read and drop what it is still sending, for a bounded time.
    drained = 0
    try:
        async with asyncio.timeout(_LINGER_SECONDS):
            while drained <= _LINGER_MAX_BYTES and (chunk := await reader.read(_READ_CHUNK_BYTES)):
                drained += len(chunk)
    except TimeoutError:
        pass
