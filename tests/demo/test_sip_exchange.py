from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from garrison.demo.lab import FaultKind, SipExchange, UnsupportedFaultError
from garrison.demo.lab.sip_wire import MalformedSipError, parse_request_head
from tests.demo.factories import IO_TIMEOUT, udp_exchange


@pytest.fixture
async def exchange() -> AsyncIterator[SipExchange]:
    exchange = SipExchange(name="pbx", port=0)
    await exchange.start()
    try:
        yield exchange
    finally:
        await exchange.stop()


def _request(method: str = "OPTIONS", *, compact: bool = False, body: bytes = b"") -> bytes:
    via, sender, to, call_id = ("v", "f", "t", "i") if compact else ("Via", "From", "To", "Call-ID")
    lines = [
        f"{method} sip:hotline@127.0.0.1 SIP/2.0",
        f"{via}: SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bK-lab-1;rport",
        "Via: SIP/2.0/UDP 127.0.0.1:5098;branch=z9hG4bK-lab-0",
        "Max-Forwards: 70",
        f"{sender}: <sip:probe@garrison.invalid>;tag=probe1",
        f"{to}: <sip:hotline@127.0.0.1>",
        f"{call_id}: 1234@garrison.invalid",
        f"CSeq: 7 {method}",
        f"Content-Length: {len(body)}",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + body


def _headers(response: bytes) -> dict[str, list[str]]:
    head = response.decode("utf-8").split("\r\n\r\n", 1)[0].split("\r\n")[1:]
    found: dict[str, list[str]] = {}
    for line in head:
        name, _, value = line.partition(":")
        found.setdefault(name, []).append(value.strip())
    return found


async def _tcp_exchange(port: int, request: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        await writer.drain()
        async with asyncio.timeout(IO_TIMEOUT):
            return await reader.readuntil(b"\r\n\r\n")
    finally:
        writer.close()
        await writer.wait_closed()


async def test_options_over_udp_answers_200_with_the_dialog_headers(
    exchange: SipExchange,
) -> None:
    response = await udp_exchange(exchange.port, _request())

    assert response.startswith(b"SIP/2.0 200 OK\r\n")
    headers = _headers(response)
    assert headers["Via"] == [
        "SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bK-lab-1;rport",
        "SIP/2.0/UDP 127.0.0.1:5098;branch=z9hG4bK-lab-0",
    ]
    assert headers["From"] == ["<sip:probe@garrison.invalid>;tag=probe1"]
    assert headers["To"][0].startswith("<sip:hotline@127.0.0.1>;tag=")
    assert headers["Call-ID"] == ["1234@garrison.invalid"]
    assert headers["CSeq"] == ["7 OPTIONS"]
    assert headers["Allow"] == ["OPTIONS"]
    assert headers["Content-Length"] == ["0"]


async def test_options_over_tcp_with_compact_headers(exchange: SipExchange) -> None:
    response = await _tcp_exchange(exchange.port, _request(compact=True))

    assert response.startswith(b"SIP/2.0 200 OK\r\n")
    assert _headers(response)["Call-ID"] == ["1234@garrison.invalid"]


async def test_tcp_serves_several_requests_with_bodies_on_one_connection(
    exchange: SipExchange,
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", exchange.port)
    writer.write(_request("MESSAGE", body=b"hello") + _request())
    await writer.drain()
    async with asyncio.timeout(IO_TIMEOUT):
        first = await reader.readuntil(b"\r\n\r\n")
        second = await reader.readuntil(b"\r\n\r\n")
    writer.close()
    await writer.wait_closed()

    assert first.startswith(b"SIP/2.0 405 Method Not Allowed\r\n")
    assert second.startswith(b"SIP/2.0 200 OK\r\n")


async def test_error_answers_503(exchange: SipExchange) -> None:
    await exchange.set_fault(FaultKind.ERROR)

    response = await udp_exchange(exchange.port, _request())

    assert response.startswith(b"SIP/2.0 503 Service Unavailable\r\n")
    assert _headers(response)["Retry-After"] == ["30"]


async def test_hang_never_answers(exchange: SipExchange) -> None:
    await exchange.set_fault(FaultKind.HANG)

    with pytest.raises(TimeoutError):
        await udp_exchange(exchange.port, _request(), within=0.3)
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.3):
            await _tcp_exchange(exchange.port, _request())


async def test_down_refuses_then_recovers(exchange: SipExchange) -> None:
    port = exchange.port
    await exchange.set_fault(FaultKind.DOWN)

    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection("127.0.0.1", port)
    await exchange.set_fault(None)
    assert (await udp_exchange(port, _request())).startswith(b"SIP/2.0 200 OK")


async def test_ack_gets_no_answer_and_junk_is_dropped(exchange: SipExchange) -> None:
    with pytest.raises(TimeoutError):
        await udp_exchange(exchange.port, _request("ACK"), within=0.3)
    with pytest.raises(TimeoutError):
        await udp_exchange(exchange.port, b"hello there\r\n\r\n", within=0.3)

    assert (await udp_exchange(exchange.port, _request())).startswith(b"SIP/2.0 200 OK")


async def test_malformed_tcp_request_gets_400_and_is_closed(exchange: SipExchange) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", exchange.port)
    writer.write(b"OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/TCP a\r\n\r\n")
    await writer.drain()
    async with asyncio.timeout(IO_TIMEOUT):
        answer = await reader.read()
    writer.close()
    await writer.wait_closed()

    assert answer.startswith(b"SIP/2.0 400 Bad Request\r\n")


@pytest.mark.parametrize(
    ("head", "problem"),
    [
        (b"OPTIONS sip:x HTTP/1.1\r\n\r\n", "invalid request line"),
        (b"OPTIONS sip:x SIP/2.0\r\nVia SIP\r\n\r\n", "invalid header line"),
        (b"OPTIONS sip:x SIP/2.0\r\nVia: a\r\n\r\n", "missing headers: from, to, call-id, cseq"),
        (b"\r\n\r\n", "empty message"),
    ],
)
def test_parser_names_what_is_wrong(head: bytes, problem: str) -> None:
    with pytest.raises(MalformedSipError, match=problem):
        parse_request_head(head)


def test_parser_unfolds_continuation_lines() -> None:
    request = parse_request_head(_request().replace(b"Max-Forwards: 70", b"Subject: one\r\n two"))

    assert request.header("subject") == "one two"


async def test_rejects_a_fault_it_cannot_simulate(exchange: SipExchange) -> None:
    with pytest.raises(UnsupportedFaultError):
        await exchange.set_fault(FaultKind.SLOW)
