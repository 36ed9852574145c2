"""The dedicated phone network's exchange: a SIP responder over UDP and TCP.

It answers OPTIONS (what SIP monitors send) with 200 OK, other requests with
405, and ACK with nothing. Faults: DOWN (nothing listens), HANG (requests are
read, never answered) and ERROR (503 Service Unavailable).
"""

from __future__ import annotations

import asyncio
from typing import ClassVar

from garrison.demo.lab.datagram_target import DatagramTarget, Peer
from garrison.demo.lab.sip_wire import (
    MAX_MESSAGE_BYTES,
    MalformedSipError,
    SipRequest,
    encode_response,
    parse_request_head,
    split_datagram,
)
from garrison.demo.lab.stream_target import drain_until_eof
from garrison.demo.lab.targets import FaultKind

_IDLE_TIMEOUT_SECONDS = 30.0
_BODY_TIMEOUT_SECONDS = 10.0
_ALLOW = (("Allow", "OPTIONS"),)
_CAPABILITIES = (
    ("Allow", "OPTIONS"),
    ("Accept", "application/sdp"),
    ("Accept-Language", "vi, en"),
)
_UNAVAILABLE = (("Retry-After", "30"),)


class SipExchange(DatagramTarget):
    kind: ClassVar[str] = "sip"
    supported_faults: ClassVar[frozenset[FaultKind]] = frozenset(
        {FaultKind.DOWN, FaultKind.HANG, FaultKind.ERROR}
    )
    max_datagram_bytes: ClassVar[int] = MAX_MESSAGE_BYTES
    read_limit: ClassVar[int] = MAX_MESSAGE_BYTES

    def respond(self, request: SipRequest) -> bytes | None:
        """The response to ``request`` as the current fault has it; None for no response."""
        if self.fault is FaultKind.HANG or request.method == "ACK":
            return None
        if self.fault is FaultKind.ERROR:
            return encode_response(request, 503, "Service Unavailable", headers=_UNAVAILABLE)
        if request.method == "OPTIONS":
            return encode_response(request, 200, "OK", headers=_CAPABILITIES)
        return encode_response(request, 405, "Method Not Allowed", headers=_ALLOW)

    def _answer_datagram(self, data: bytes, peer: Peer) -> bytes | None:
        try:
            head, _body = split_datagram(data)
            request = parse_request_head(head)
        except MalformedSipError:
            return None  # RFC 3261 §16.3 lets a UDP server drop what it cannot parse
        return self.respond(request)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            if self.fault is FaultKind.HANG:
                await drain_until_eof(reader)
                return
            try:
                request = await _read_request(reader)
            except MalformedSipError:
                writer.write(b"SIP/2.0 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
                return
            if request is None:
                return
            response = self.respond(request)
            if response is not None:
                writer.write(response)
                await writer.drain()


async def _read_request(reader: asyncio.StreamReader) -> SipRequest | None:
    """The next request on a stream, its body read and dropped; None once the peer is gone."""
    try:
        async with asyncio.timeout(_IDLE_TIMEOUT_SECONDS):
            head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, TimeoutError):
        return None
    except asyncio.LimitOverrunError as exc:
        raise MalformedSipError("message too large") from exc
    request = parse_request_head(head)
    if length := request.content_length:
        if length > MAX_MESSAGE_BYTES:
            raise MalformedSipError("message too large")
        try:
            async with asyncio.timeout(_BODY_TIMEOUT_SECONDS):
                await reader.readexactly(length)
        except (asyncio.IncompleteReadError, TimeoutError):
            return None
    return request
