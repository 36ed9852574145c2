"""A DNS server on 127.0.0.1 (UDP and TCP on one port) answering as a test tells it to."""

from __future__ import annotations

import asyncio
import contextlib
import struct
from collections.abc import AsyncIterator, Callable
from typing import Any, cast

import dns.flags
import dns.message
import dns.rcode
import dns.rrset

from tests.probes.runners.servers import HOST

Answer = Callable[[dns.message.Message], "dns.message.Message | bytes | None"]


def records(
    query: dns.message.Message, rrsets: list[dns.rrset.RRset], *, rcode: int = 0, ad: bool = False
) -> dns.message.Message:
    response = dns.message.make_response(query)
    response.set_rcode(dns.rcode.Rcode(rcode))
    response.answer.extend(rrsets)
    if ad:
        response.flags |= dns.flags.AD
    return response


def rrset(name: str, record_type: str, *values: str, ttl: int = 300) -> dns.rrset.RRset:
    return dns.rrset.from_text(name, ttl, "IN", record_type, *values)


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        reply = self.answer(dns.message.from_wire(data))
        if reply is not None and self.transport is not None:
            self.transport.sendto(reply if isinstance(reply, bytes) else reply.to_wire(), addr)


@contextlib.asynccontextmanager
async def dns_server(answer: Answer) -> AsyncIterator[int]:
    loop = asyncio.get_running_loop()

    async def over_tcp(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            (length,) = struct.unpack("!H", await reader.readexactly(2))
            reply = answer(dns.message.from_wire(await reader.readexactly(length)))
            if reply is None:
                await asyncio.Event().wait()
            wire = reply if isinstance(reply, bytes) else reply.to_wire()  # type: ignore[union-attr]
            writer.write(struct.pack("!H", len(wire)) + wire)
            await writer.drain()
        finally:
            writer.transport.abort()

    for _attempt in range(10):
        transport, _protocol = await loop.create_datagram_endpoint(
            lambda: _Udp(answer), local_addr=(HOST, 0)
        )
        port: int = transport.get_extra_info("sockname")[1]
        try:
            server = await asyncio.start_server(over_tcp, HOST, port)
        except OSError:
            transport.close()
            continue
        break
    else:
        raise RuntimeError("no free port for UDP and TCP")
    try:
        yield port
    finally:
        transport.close()
        server.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(server.wait_closed(), 1)
