"""Just enough SIP (RFC 3261) for the lab's phone exchange: parse a request, build a response.

A response copies the request's Via, From, Call-ID and CSeq headers, adds a tag
to To, and carries no body. Parsing is strict and bounded, like the HTTP sites'.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from garrison.demo.lab.errors import LabError

MAX_MESSAGE_BYTES = 8 * 1024
SIP_VERSION = "SIP/2.0"

_TOKEN = re.compile(r"[A-Za-z0-9.!%*_+`'~-]+")
_REQUIRED = ("via", "from", "to", "call-id", "cseq")
# RFC 3261 §7.3.3: the one-letter forms a request may use instead of the full names.
_COMPACT = {
    "v": "via",
    "f": "from",
    "t": "to",
    "i": "call-id",
    "m": "contact",
    "l": "content-length",
    "c": "content-type",
    "k": "supported",
}


class MalformedSipError(LabError):
    """A message the exchange refuses to parse."""


@dataclass(frozen=True, slots=True)
class SipRequest:
    method: str
    uri: str
    headers: tuple[tuple[str, str], ...]
    """Full names lower-cased (compact forms expanded), in the order received."""

    def values(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key == name]

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key == name), None)

    @property
    def content_length(self) -> int:
        text = self.header("content-length") or "0"
        if not text.isdigit():
            raise MalformedSipError("invalid Content-Length")
        return int(text)


def parse_request_head(head: bytes) -> SipRequest:
    """Parse a request's start line and headers, up to and including the blank line."""
    if len(head) > MAX_MESSAGE_BYTES:
        raise MalformedSipError("message too large")
    lines = head.decode("utf-8", errors="replace").split("\r\n")
    while lines and not lines[0]:
        lines.pop(0)  # keep-alive CRLFs sent between messages on a stream
    if not lines:
        raise MalformedSipError("empty message")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not _TOKEN.fullmatch(parts[0]) or parts[2] != SIP_VERSION:
        raise MalformedSipError("invalid request line")
    headers = tuple(_parse_header(line) for line in _unfold(lines[1:]))
    missing = [name for name in _REQUIRED if not any(key == name for key, _ in headers)]
    if missing:
        raise MalformedSipError(f"missing headers: {', '.join(missing)}")
    return SipRequest(method=parts[0].upper(), uri=parts[1], headers=headers)


def split_datagram(data: bytes) -> tuple[bytes, bytes]:
    """A datagram's head (with its blank line) and body."""
    head, separator, body = data.partition(b"\r\n\r\n")
    if not separator:
        raise MalformedSipError("no end of headers")
    return head + separator, body


def encode_response(
    request: SipRequest,
    status: int,
    reason: str,
    *,
    headers: tuple[tuple[str, str], ...] = (),
) -> bytes:
    to = request.header("to") or ""
    if ";tag=" not in to.replace(" ", "").lower():
        to = f"{to};tag={secrets.token_hex(6)}"
    lines = [f"{SIP_VERSION} {status} {reason}"]
    lines += [f"Via: {via}" for via in request.values("via")]
    lines += [
        f"From: {request.header('from')}",
        f"To: {to}",
        f"Call-ID: {request.header('call-id')}",
        f"CSeq: {request.header('cseq')}",
        "Server: garrison-lab",
        *(f"{name}: {value}" for name, value in headers),
        "Content-Length: 0",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")


def _unfold(lines: list[str]) -> list[str]:
    """Join continuation lines (starting with a space or tab) to the header they continue."""
    joined: list[str] = []
    for line in lines:
        if not line:
            continue
        if line[0] in " \t" and joined:
            joined[-1] += " " + line.strip()
        else:
            joined.append(line)
    return joined


def _parse_header(line: str) -> tuple[str, str]:
    name, colon, value = line.partition(":")
    name = name.strip(" \t").lower()
    if not colon or not _TOKEN.fullmatch(name):
        raise MalformedSipError("invalid header line")
    return _COMPACT.get(name, name), value.strip(" \t")
