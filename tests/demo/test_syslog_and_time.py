from __future__ import annotations

import asyncio
import struct
from collections.abc import AsyncIterator

import pytest

from garrison.clock import ManualClock
from garrison.demo.lab import FaultKind, SyslogCollector, TimeServer
from garrison.demo.lab.time_server import NTP_PACKET_BYTES, ntp_timestamp, read_ntp_timestamp
from tests.demo.factories import IO_TIMEOUT, LAB_START, udp_exchange


class _Heartbeats:
    """Stands in for Garrison's heartbeat endpoint: records each call, can be made to fail."""

    def __init__(self) -> None:
        self.urls: list[str] = []
        self.failing = False
        self.called = asyncio.Event()

    async def __call__(self, url: str) -> None:
        self.urls.append(url)
        self.called.set()
        if self.failing:
            raise ConnectionRefusedError("garrison is not listening")

    async def next_call(self) -> None:
        self.called.clear()
        async with asyncio.timeout(IO_TIMEOUT):
            await self.called.wait()


@pytest.fixture
async def collector() -> AsyncIterator[SyslogCollector]:
    collector = SyslogCollector(name="siem", port=0, clock=ManualClock(LAB_START))
    await collector.start()
    try:
        yield collector
    finally:
        await collector.stop()


async def test_counts_udp_and_both_tcp_framings(collector: SyslogCollector) -> None:
    with pytest.raises(TimeoutError):  # syslog is never answered
        await udp_exchange(collector.port, b"<134>1 2026-06-01T08:00:00Z fw - - - - up", within=0.2)
    _reader, writer = await asyncio.open_connection("127.0.0.1", collector.port)
    writer.write(b"<134>newline framed\n11 <134>counted<134>after\n")
    await writer.drain()

    async with asyncio.timeout(IO_TIMEOUT):
        await collector.wait_for_messages(4)
    writer.close()
    await writer.wait_closed()
    assert collector.messages_received == 4


async def test_an_absurd_octet_count_ends_the_session(collector: SyslogCollector) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", collector.port)
    writer.write(b"99999999 <134>x")
    await writer.drain()

    async with asyncio.timeout(IO_TIMEOUT):
        assert await reader.read() == b""
    writer.close()
    await writer.wait_closed()


async def test_hang_processes_nothing(collector: SyslogCollector) -> None:
    await collector.set_fault(FaultKind.HANG)

    with pytest.raises(TimeoutError):
        await udp_exchange(collector.port, b"<134>dropped", within=0.2)

    assert collector.messages_received == 0


async def test_heartbeats_follow_the_clock_and_stop_while_faulted() -> None:
    clock = ManualClock(LAB_START)
    heartbeats = _Heartbeats()
    url = "http://127.0.0.1:8080/heartbeat/token"
    collector = SyslogCollector(
        name="siem",
        port=0,
        clock=clock,
        heartbeat_url=url,
        heartbeat_every=10,
        send_heartbeat=heartbeats,
    )
    await collector.start()
    try:
        await heartbeats.next_call()  # one at the start
        heartbeats.failing = True
        clock.advance(10)
        await heartbeats.next_call()  # a failed beat does not stop the next one
        heartbeats.failing = False
        async with asyncio.timeout(IO_TIMEOUT):
            await collector.wait_for_heartbeat_turns(2)
        await collector.set_fault(FaultKind.DOWN)
        clock.advance(10)
        async with asyncio.timeout(IO_TIMEOUT):
            await collector.wait_for_heartbeat_turns(3)  # skipped: no call while DOWN
        await collector.set_fault(None)
        clock.advance(10)
        await heartbeats.next_call()
    finally:
        await collector.stop()

    assert heartbeats.urls == [url, url, url]
    assert asyncio.all_tasks() == {asyncio.current_task()}


def test_heartbeats_go_to_the_lab_host_only() -> None:
    with pytest.raises(ValueError, match=r"127\.0\.0\.1"):
        SyslogCollector(
            name="siem", port=0, clock=ManualClock(LAB_START), heartbeat_url="http://192.0.2.1/"
        )


@pytest.fixture
async def time_server() -> AsyncIterator[tuple[TimeServer, ManualClock]]:
    clock = ManualClock(LAB_START)
    server = TimeServer(name="ntp", port=0, clock=clock)
    await server.start()
    try:
        yield server, clock
    finally:
        await server.stop()


def _ntp_request(transmit: int) -> bytes:
    request = bytearray(NTP_PACKET_BYTES)
    request[0] = (4 << 3) | 3  # version 4, client
    request[40:48] = transmit.to_bytes(8, "big")
    return bytes(request)


async def test_ntp_answers_with_the_lab_clock(
    time_server: tuple[TimeServer, ManualClock],
) -> None:
    server, clock = time_server
    clock.advance(90)
    transmit = ntp_timestamp(LAB_START)

    reply = await udp_exchange(server.port, _ntp_request(transmit))

    first, stratum = struct.unpack_from("!BB", reply)
    assert first & 0b111 == 4  # server
    assert (first >> 3) & 0b111 == 4
    assert stratum == 1
    assert reply[12:16] == b"LOCL"
    assert int.from_bytes(reply[24:32], "big") == transmit  # originate echoes the request
    assert read_ntp_timestamp(int.from_bytes(reply[40:48], "big")) == clock.now()


async def test_ntp_ignores_what_is_not_a_client_request(
    time_server: tuple[TimeServer, ManualClock],
) -> None:
    server, _clock = time_server
    server_mode = bytearray(_ntp_request(0))
    server_mode[0] = (4 << 3) | 4

    with pytest.raises(TimeoutError):
        await udp_exchange(server.port, bytes(server_mode), within=0.2)
    with pytest.raises(TimeoutError):
        await udp_exchange(server.port, b"short", within=0.2)


async def test_daytime_over_tcp_and_hang(time_server: tuple[TimeServer, ManualClock]) -> None:
    server, _clock = time_server
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    async with asyncio.timeout(IO_TIMEOUT):
        line = await reader.read()
    writer.close()
    await writer.wait_closed()

    assert line == b"2026-06-01T08:00:00Z\r\n"
    await server.set_fault(FaultKind.HANG)
    with pytest.raises(TimeoutError):
        await udp_exchange(server.port, _ntp_request(0), within=0.2)


async def test_heartbeats_are_posted_over_http() -> None:
    requests: asyncio.Queue[bytes] = asyncio.Queue()

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await requests.put(await reader.readuntil(b"\r\n\r\n"))
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        await writer.drain()
        writer.close()
        await writer.wait_closed()

    garrison = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = garrison.sockets[0].getsockname()[1]
    collector = SyslogCollector(
        name="siem",
        port=0,
        clock=ManualClock(LAB_START),
        heartbeat_url=f"http://127.0.0.1:{port}/api/v1/heartbeat/siem/secret-token",
    )
    await collector.start()
    try:
        async with asyncio.timeout(IO_TIMEOUT):
            request = await requests.get()
    finally:
        await collector.stop()
        garrison.close()
        await garrison.wait_closed()

    assert request.startswith(b"POST /api/v1/heartbeat/siem/secret-token HTTP/1.1\r\n")
