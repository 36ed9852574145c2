"""An authoritative DNS server for the event's zone, over UDP and TCP, that can be hijacked.

Faults: DOWN (nothing listens), HANG (queries are read, never answered), ERROR
(every answer is SERVFAIL) and HIJACK (one name answers with a foreign address,
as after a takeover of the registrar account or the server).
"""

from __future__ import annotations

import asyncio
from typing import ClassVar

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.zone

from garrison.demo.lab.datagram_target import DatagramTarget, Peer
from garrison.demo.lab.dns_zone import HIJACK_ADDRESS, HIJACKED_NAME
from garrison.demo.lab.stream_target import drain_until_eof
from garrison.demo.lab.targets import FaultKind

_IDLE_TIMEOUT_SECONDS = 30.0
_MAX_QUERY_BYTES = 4 * 1024
_CLASSIC_UDP_BYTES = 512
_MAX_UDP_BYTES = 4 * 1024
_TCP_LENGTH_BYTES = 2


class DnsServer(DatagramTarget):
    kind: ClassVar[str] = "dns"
    supported_faults: ClassVar[frozenset[FaultKind]] = frozenset(
        {FaultKind.DOWN, FaultKind.HANG, FaultKind.ERROR, FaultKind.HIJACK}
    )
    max_datagram_bytes: ClassVar[int] = _MAX_QUERY_BYTES

    def __init__(
        self,
        *,
        name: str,
        port: int,
        zone: dns.zone.Zone,
        hijacked_name: str = HIJACKED_NAME,
        hijack_address: str = HIJACK_ADDRESS,
    ) -> None:
        super().__init__(name=name, port=port)
        if zone.origin is None:
            raise ValueError("the lab's DNS zone needs an origin")
        self._zone = zone
        self._origin: dns.name.Name = zone.origin
        self._hijacked = dns.name.from_text(hijacked_name)
        if not self._hijacked.is_subdomain(self._origin):
            raise ValueError(f"{hijacked_name} is not in the zone {self._origin}")
        self._hijack_rdata = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.A, hijack_address)

    @property
    def zone(self) -> dns.zone.Zone:
        return self._zone

    def answer(self, query_wire: bytes, *, over_udp: bool = False) -> bytes | None:
        """The response to a query in wire format, as the current fault has it; None for none.

        Over UDP, a response too long for the client is sent truncated (TC), as the
        client is then expected to ask again over TCP.
        """
        if self.fault is FaultKind.HANG:
            return None
        try:
            query = dns.message.from_wire(query_wire)
        except dns.exception.DNSException:
            return None  # not even a header worth answering
        response = dns.message.make_response(query)
        if self.fault is FaultKind.ERROR:
            response.set_rcode(dns.rcode.SERVFAIL)
        elif query.opcode() != dns.opcode.QUERY:
            response.set_rcode(dns.rcode.NOTIMP)
        elif len(query.question) != 1:
            response.set_rcode(dns.rcode.FORMERR)
        else:
            self._resolve(query.question[0], response)
        try:
            return response.to_wire(max_size=_udp_limit(query) if over_udp else 65_535)
        except dns.exception.TooBig:
            response.answer.clear()
            response.authority.clear()
            response.additional.clear()
            response.flags |= dns.flags.TC
            return response.to_wire()

    def _answer_datagram(self, data: bytes, peer: Peer) -> bytes | None:
        return self.answer(data, over_udp=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            if self.fault is FaultKind.HANG:
                await drain_until_eof(reader)
                return
            try:
                async with asyncio.timeout(_IDLE_TIMEOUT_SECONDS):
                    length = int.from_bytes(await reader.readexactly(_TCP_LENGTH_BYTES), "big")
                    if not 0 < length <= _MAX_QUERY_BYTES:
                        return
                    query = await reader.readexactly(length)
            except (asyncio.IncompleteReadError, TimeoutError):
                return
            reply = self.answer(query)
            if reply is None:
                continue
            writer.write(len(reply).to_bytes(_TCP_LENGTH_BYTES, "big") + reply)
            await writer.drain()

    def _resolve(self, question: dns.rrset.RRset, response: dns.message.Message) -> None:
        name, rdtype = question.name, question.rdtype
        if question.rdclass != dns.rdataclass.IN or not name.is_subdomain(self._origin):
            response.flags &= ~dns.flags.AA
            response.set_rcode(dns.rcode.REFUSED)
            return
        response.flags |= dns.flags.AA
        node = self._zone.get_node(name)
        if node is None:
            response.set_rcode(dns.rcode.NXDOMAIN)
            self._add_soa(response)
            return
        found = node.get_rdataset(dns.rdataclass.IN, rdtype)
        if found is None and rdtype != dns.rdatatype.CNAME:
            alias = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.CNAME)
            if alias is not None:
                response.answer.append(dns.rrset.from_rdata_list(name, alias.ttl, list(alias)))
                target = next(iter(alias)).target  # a CNAME has exactly one target
                target_node = self._zone.get_node(target)
                if target_node is not None:
                    found = target_node.get_rdataset(dns.rdataclass.IN, rdtype)
                    name = target
        if found is None:
            if not response.answer:
                self._add_soa(response)
            return
        records = list(found)
        if self.fault is FaultKind.HIJACK and name == self._hijacked and rdtype == dns.rdatatype.A:
            records = [self._hijack_rdata]
        response.answer.append(dns.rrset.from_rdata_list(name, found.ttl, records))

    def _add_soa(self, response: dns.message.Message) -> None:
        soa = self._zone.find_rdataset(self._origin, dns.rdatatype.SOA)
        response.authority.append(dns.rrset.from_rdata_list(self._origin, soa.ttl, list(soa)))


def _udp_limit(query: dns.message.Message) -> int:
    """What the client can receive: 512 bytes, or its EDNS payload size (at most 4 KiB)."""
    if query.edns < 0:
        return _CLASSIC_UDP_BYTES
    return max(_CLASSIC_UDP_BYTES, min(query.payload, _MAX_UDP_BYTES))
