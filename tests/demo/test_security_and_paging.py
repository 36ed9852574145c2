"""The demo pages and shows a detection: the webhook sink and the SSH server under brute force."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import httpx
import pytest

from garrison.clock import ManualClock
from garrison.config.detection import IngestLimits, SyslogUdpSource
from garrison.demo.lab import FaultKind
from garrison.demo.lab.ssh_server import ATTACKER_ADDRESS, BURST_LINES, SshServer
from garrison.demo.lab.webhook_sink import WebhookSink
from garrison.detection.ingest.builder import EventBuilder
from tests.demo.factories import IO_TIMEOUT, read_banner


class _Collected(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.lines: list[bytes] = []
        self.arrived = asyncio.Event()

    def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        self.lines.append(data)
        self.arrived.set()


async def test_the_webhook_sink_logs_what_it_receives(caplog: pytest.LogCaptureFixture) -> None:
    sink = WebhookSink(name="hooks", port=0)
    await sink.start()
    try:
        caplog.set_level("INFO", logger="garrison.demo.lab.webhook_sink")
        port = sink.status().port
        async with httpx.AsyncClient(trust_env=False, timeout=IO_TIMEOUT) as client:
            sent = await client.post(
                f"http://127.0.0.1:{port}/hooks/hoang-van-em",
                content=json.dumps({"subject": "SEV2 event-website down"}),
            )
            refused = await client.get(f"http://127.0.0.1:{port}/hooks/x")
        async with asyncio.timeout(IO_TIMEOUT):
            await sink.wait_for_deliveries(1)
    finally:
        await sink.stop()
    assert (sent.status_code, refused.status_code) == (204, 405)
    assert [d.path for d in sink.deliveries] == ["/hooks/hoang-van-em"]
    assert "SEV2 event-website down" in caplog.text


async def test_an_attack_ships_a_brute_force_that_detection_parses() -> None:
    loop = asyncio.get_running_loop()
    collected = _Collected()
    transport, _protocol = await loop.create_datagram_endpoint(
        lambda: collected, local_addr=("127.0.0.1", 0)
    )
    syslog_port = transport.get_extra_info("sockname")[1]
    clock = ManualClock(datetime(2026, 10, 3, 1, 2, 3, tzinfo=UTC))
    server = SshServer(name="web-ssh", port=0, clock=clock, syslog_port=syslog_port)
    await server.start()
    try:
        assert (await read_banner(server.status().port)).startswith(b"SSH-2.0-")
        await server.set_fault(FaultKind.ATTACK)
        async with asyncio.timeout(IO_TIMEOUT):
            while len(collected.lines) < BURST_LINES:
                collected.arrived.clear()
                await collected.arrived.wait()
    finally:
        await server.stop()
        transport.close()
    assert collected.lines[0].startswith(b"<38>Oct  3 01:02:03 ssh-gw sshd[")
    source = SyslogUdpSource.model_validate(
        {"name": "web-syslog", "type": "syslog_udp", "port": 18515, "service": "event-website"}
    )
    builder = EventBuilder.for_source(source, IngestLimits(), None)
    events = [e for line in collected.lines for e in builder.from_bytes(line, clock.now()).events]
    failures = [e for e in events if e.kind == "auth_failure"]
    assert len(failures) == BURST_LINES
    assert {e.fields["source_address"] for e in failures} == {ATTACKER_ADDRESS}
    assert {e.service for e in failures} == {"event-website"}
