from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import dns.asyncquery
import dns.flags
import dns.message
import dns.rcode
import pytest

from garrison.demo.lab import DnsServer, FaultKind, UnsupportedFaultError
from garrison.demo.lab.dns_zone import HIJACK_ADDRESS, demo_zone
from tests.demo.factories import IO_TIMEOUT, udp_exchange


@pytest.fixture
async def server() -> AsyncIterator[DnsServer]:
    server = DnsServer(name="dns", port=0, zone=demo_zone())
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def _udp(server: DnsServer, name: str, rdtype: str) -> dns.message.Message:
    query = dns.message.make_query(name, rdtype)
    return await dns.asyncquery.udp(query, "127.0.0.1", port=server.port, timeout=IO_TIMEOUT)


async def _tcp(server: DnsServer, name: str, rdtype: str) -> dns.message.Message:
    query = dns.message.make_query(name, rdtype)
    return await dns.asyncquery.tcp(query, "127.0.0.1", port=server.port, timeout=IO_TIMEOUT)


def _answers(response: dns.message.Message) -> list[str]:
    return sorted(rdata.to_text() for rrset in response.answer for rdata in rrset)


@pytest.mark.parametrize(
    ("name", "rdtype", "expected"),
    [
        ("www.congress.example.", "A", ["127.0.0.1"]),
        ("congress.example.", "AAAA", ["2001:db8::10"]),
        ("congress.example.", "MX", ["10 mail.congress.example."]),
        ("congress.example.", "NS", ["ns1.congress.example."]),
        ("congress.example.", "TXT", ['"v=spf1 ip4:127.0.0.1 -all"']),
    ],
)
async def test_answers_the_zone_over_udp_and_tcp(
    server: DnsServer, name: str, rdtype: str, expected: list[str]
) -> None:
    over_udp = await _udp(server, name, rdtype)
    over_tcp = await _tcp(server, name, rdtype)

    for response in (over_udp, over_tcp):
        assert response.rcode() == dns.rcode.NOERROR
        assert response.flags & dns.flags.AA
        assert _answers(response) == expected


async def test_soa_and_a_cname_followed_inside_the_zone(server: DnsServer) -> None:
    soa = await _udp(server, "congress.example.", "SOA")
    alias = await _udp(server, "webmail.congress.example.", "A")

    assert _answers(soa)[0].startswith("ns1.congress.example. hostmaster.congress.example.")
    assert _answers(alias) == ["127.0.0.1", "mail.congress.example."]


async def test_missing_names_and_types_carry_the_soa(server: DnsServer) -> None:
    missing = await _udp(server, "nowhere.congress.example.", "A")
    no_data = await _udp(server, "ns1.congress.example.", "MX")

    assert missing.rcode() == dns.rcode.NXDOMAIN
    assert no_data.rcode() == dns.rcode.NOERROR
    for response in (missing, no_data):
        assert response.answer == []
        assert response.authority[0].rdtype == dns.rdatatype.SOA


async def test_refuses_names_outside_its_zone(server: DnsServer) -> None:
    response = await _udp(server, "example.org.", "A")

    assert response.rcode() == dns.rcode.REFUSED
    assert not response.flags & dns.flags.AA


async def test_hijack_answers_one_name_with_a_foreign_address(server: DnsServer) -> None:
    await server.set_fault(FaultKind.HIJACK)

    hijacked = await _udp(server, "www.congress.example.", "A")
    untouched = await _tcp(server, "congress.example.", "A")

    assert _answers(hijacked) == [HIJACK_ADDRESS]
    assert _answers(untouched) == ["127.0.0.1"]
    await server.set_fault(None)
    assert _answers(await _udp(server, "www.congress.example.", "A")) == ["127.0.0.1"]


async def test_error_answers_servfail(server: DnsServer) -> None:
    await server.set_fault(FaultKind.ERROR)

    assert (await _udp(server, "www.congress.example.", "A")).rcode() == dns.rcode.SERVFAIL
    assert (await _tcp(server, "www.congress.example.", "A")).rcode() == dns.rcode.SERVFAIL


async def test_hang_never_answers(server: DnsServer) -> None:
    await server.set_fault(FaultKind.HANG)
    query = dns.message.make_query("www.congress.example.", "A").to_wire()

    with pytest.raises(TimeoutError):
        await udp_exchange(server.port, query, within=0.3)
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(len(query).to_bytes(2, "big") + query)
    await writer.drain()
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.3):
            await reader.readexactly(2)
    writer.close()
    await writer.wait_closed()


async def test_down_closes_udp_and_tcp_then_recovers_on_the_same_port(server: DnsServer) -> None:
    port = server.port

    await server.set_fault(FaultKind.DOWN)

    assert not server.status().listening
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection("127.0.0.1", port)
    with pytest.raises((TimeoutError, ConnectionRefusedError)):
        await udp_exchange(
            port, dns.message.make_query("congress.example.", "A").to_wire(), within=0.3
        )
    await server.set_fault(None)
    assert server.port == port
    assert server.status().listening
    assert _answers(await _udp(server, "congress.example.", "A")) == ["127.0.0.1"]


async def test_junk_is_dropped_and_the_server_keeps_answering(server: DnsServer) -> None:
    with pytest.raises(TimeoutError):
        await udp_exchange(server.port, b"\x00\x01junk", within=0.3)
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(b"\xff\xff")  # announces a query longer than the server accepts
    await writer.drain()
    async with asyncio.timeout(IO_TIMEOUT):
        assert await reader.read() == b""
    writer.close()
    await writer.wait_closed()

    assert _answers(await _udp(server, "congress.example.", "A")) == ["127.0.0.1"]


async def test_a_too_long_udp_answer_is_truncated(server: DnsServer) -> None:
    # A query without EDNS may receive 512 bytes: answer a name whose records exceed it.
    zone = demo_zone()
    node = zone.find_node("congress.example.")
    txt = node.find_rdataset(dns.rdataclass.IN, dns.rdatatype.TXT, create=True)
    for index in range(20):
        txt.add(dns.rdata.from_text("IN", "TXT", f'"{"x" * 40} {index}"'), 300)
    big = DnsServer(name="big", port=0, zone=zone)
    await big.start()
    try:
        answer = await udp_exchange(
            big.port, dns.message.make_query("congress.example.", "TXT").to_wire()
        )
        full = await dns.asyncquery.tcp(
            dns.message.make_query("congress.example.", "TXT"),
            "127.0.0.1",
            port=big.port,
            timeout=IO_TIMEOUT,
        )
    finally:
        await big.stop()

    truncated = dns.message.from_wire(answer)
    assert truncated.flags & dns.flags.TC
    assert truncated.answer == []
    assert len(_answers(full)) == 21


async def test_rejects_a_fault_it_cannot_simulate(server: DnsServer) -> None:
    with pytest.raises(UnsupportedFaultError):
        await server.set_fault(FaultKind.DEFACE)


def test_the_hijacked_name_must_be_in_the_zone() -> None:
    with pytest.raises(ValueError, match="not in the zone"):
        DnsServer(name="dns", port=0, zone=demo_zone(), hijacked_name="www.example.org.")
