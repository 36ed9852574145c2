"""Just enough HTTP/1.1 for the lab's sites: parse a request head, encode a response.

Written by hand rather than with a full library, because the sites must also
misbehave on purpose; what is parsed is bounded and strict.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from http import HTTPStatus

from garrison.demo.lab.errors import LabError

MAX_HEAD_BYTES = 16 * 1024
MAX_BODY_BYTES = 64 * 1024

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_VERSIONS = frozenset({"HTTP/1.0", "HTTP/1.1"})


class MalformedRequestError(LabError):
    """A request the site refuses to parse; ``status`` is the answer to send before closing."""

    def __init__(self, message: str, *, status: HTTPStatus) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str
    version: str
    headers: tuple[tuple[str, str], ...]
    """Names lower-cased, in the order received."""

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((value for key, value in self.headers if key == wanted), None)

    @property
    def keep_alive(self) -> bool:
        if self.version == "HTTP/1.0":
            return False
        connection = self.header("connection") or ""
        return "close" not in connection.lower()

    @property
    def content_length(self) -> int:
        values = {value for key, value in self.headers if key == "content-length"}
        if not values:
            return 0
        if len(values) > 1:
            raise MalformedRequestError("conflicting Content-Length", status=HTTPStatus.BAD_REQUEST)
        text = values.pop()
        if not text.isdigit():
            raise MalformedRequestError("invalid Content-Length", status=HTTPStatus.BAD_REQUEST)
        length = int(text)
        if length > MAX_BODY_BYTES:
            raise MalformedRequestError(
                "request body too large", status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE
            )
        return length


@dataclass(frozen=True, slots=True)
class Response:
    status: HTTPStatus
    content_type: str
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


def parse_request_head(head: bytes) -> Request:
    """Parse the bytes up to and including the blank line that ends a request head."""
    lines = head.decode("latin-1").split("\r\n")
    # RFC 9112 asks servers to ignore empty lines received before the request line.
    while lines and not lines[0]:
        lines.pop(0)
    if not lines:
        raise MalformedRequestError("empty request", status=HTTPStatus.BAD_REQUEST)
    parts = lines[0].split(" ")
    if len(parts) != 3 or not _TOKEN.fullmatch(parts[0]) or parts[2] not in _VERSIONS:
        raise MalformedRequestError("invalid request line", status=HTTPStatus.BAD_REQUEST)
    method, target, version = parts
    if not target.startswith("/"):
        raise MalformedRequestError("unsupported request target", status=HTTPStatus.BAD_REQUEST)
    headers = tuple(_parse_header(line) for line in lines[1:] if line)
    if any(key == "transfer-encoding" for key, _ in headers):
        raise MalformedRequestError(
            "chunked request bodies are not supported", status=HTTPStatus.NOT_IMPLEMENTED
        )
    return Request(method=method, path=target.split("?", 1)[0], version=version, headers=headers)


def _parse_header(line: str) -> tuple[str, str]:
    name, colon, value = line.partition(":")
    if not colon or not _TOKEN.fullmatch(name):
        raise MalformedRequestError("invalid header line", status=HTTPStatus.BAD_REQUEST)
    return name.lower(), value.strip(" \t")


def encode_response(response: Response, *, head_only: bool, keep_alive: bool) -> bytes:
    lines = [
        f"HTTP/1.1 {response.status.value} {response.status.phrase}",
        "Server: garrison-lab",
        f"Content-Type: {response.content_type}",
        f"Content-Length: {len(response.body)}",
        "Cache-Control: no-store",
        "X-Content-Type-Options: nosniff",
        *(f"{name}: {value}" for name, value in response.headers),
        f"Connection: {'keep-alive' if keep_alive else 'close'}",
    ]
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head if head_only else head + response.body


def plain_response(
    status: HTTPStatus, text: str, *, headers: tuple[tuple[str, str], ...] = ()
) -> Response:
    return Response(
        status=status,
        content_type="text/plain; charset=utf-8",
        body=text.encode("utf-8"),
        headers=headers,
    )
