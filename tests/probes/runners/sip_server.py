"""A SIP responder on 127.0.0.1 over UDP and TCP that answers OPTIONS as told."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, cast

from tests.probes.runners.servers import HOST, tcp_server


@dataclass
class SipResponder:
    status: int = 200
    reason: str = "OK"
    drop_first: int = 0
    garbage: bool = False
    provisional_first: bool = False
    requests: list[str] = field(default_factory=list)

    def answer(self, request: bytes) -> list[bytes]:
        text = request.decode("utf-8")
        self.requests.append(text)
        if len(self.requests) <= self.drop_first:
            return []
        if self.garbage:
            return [b"\x00\x01 this is not SIP at all\r\n\r\n"]
        head = text.split("\r\n\r\n", 1)[0].split("\r\n")
        copied = [
            line
            for line in head[1:]
            if line.split(":", 1)[0].lower() in ("via", "from", "to", "call-id", "cseq")
        ]
        copied = [f"{line};tag=responder" if line.startswith("To:") else line for line in copied]
        answers = []
        if self.provisional_first:
            answers.append(self._message(100, "Trying", copied))
        answers.append(self._message(self.status, self.reason, copied))
        return answers

    def _message(self, status: int, reason: str, copied: list[str]) -> bytes:
        lines = [f"SIP/2.0 {status} {reason}", *copied]
        lines += ["Server: test-responder", "Allow: INVITE, OPTIONS, BYE", "Content-Length: 0"]
        return ("\r\n".join(lines) + "\r\n\r\n").encode()


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, responder: SipResponder) -> None:
        self.responder = responder
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        assert self.transport is not None
        for message in self.responder.answer(data):
            self.transport.sendto(message, addr)


@contextlib.asynccontextmanager
async def sip_udp(responder: SipResponder) -> AsyncIterator[int]:
    loop = asyncio.get_running_loop()
    transport, _protocol = await loop.create_datagram_endpoint(
        lambda: _Udp(responder), local_addr=(HOST, 0)
    )
    try:
        yield transport.get_extra_info("sockname")[1]
    finally:
        transport.close()


@contextlib.asynccontextmanager
async def sip_tcp(responder: SipResponder) -> AsyncIterator[int]:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await reader.readuntil(b"\r\n\r\n")
        for message in responder.answer(request):
            writer.write(message)
        await writer.drain()
        await reader.read(1)

    async with tcp_server(handle) as port:
        yield port
