"""Syslog listeners on real sockets (127.0.0.1): UDP, TCP in both framings, TLS."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import trustme
from prometheus_client import CollectorRegistry

from garrison.config.detection import IngestLimits
from garrison.detection.ingest.builder import EventBuilder
from garrison.detection.ingest.metrics import register_ingest_metrics
from garrison.detection.ingest.syslog_tcp import SyslogTcpServer, server_ssl_context
from garrison.detection.ingest.syslog_udp import open_udp_listener
from garrison.detection.pipeline import DetectionPipeline
from garrison.detection.records import LogSource
from tests.detection.ingest.factories import RecordingSink, eventually, metric

HOST = "127.0.0.1"
SSH_FAILURE = (
    b"<38>Jun  1 08:00:00 bastion sshd[4242]: "
    b"Failed password for root from 198.51.100.10 port 5555 ssh2"
)


def _now() -> datetime:
    return datetime(2026, 6, 1, 8, 0, 5, tzinfo=UTC)


@dataclass
class Harness:
    pipeline: DetectionPipeline
    registry: CollectorRegistry
    builder: EventBuilder
    sink: RecordingSink

    def count(self, name: str, **labels: str) -> float:
        return metric(self.registry, name, {"source": self.builder.source, **labels})

    @contextlib.asynccontextmanager
    async def delivering(self) -> AsyncIterator[None]:
        task = asyncio.create_task(self.pipeline.run())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def _harness(capacity: int = 1000, max_event_bytes: int = 65_536) -> Harness:
    registry = CollectorRegistry()
    metrics = register_ingest_metrics(registry)
    pipeline = DetectionPipeline(metrics=metrics, capacity=capacity)
    sink = RecordingSink()
    pipeline.add_sink("test", sink)
    builder = EventBuilder(
        source="syslog-test",
        parser="auto",
        tag=LogSource(),
        zone=UTC,
        limits=IngestLimits(max_event_bytes=max_event_bytes),
        metrics=metrics,
    )
    return Harness(pipeline, registry, builder, sink)


@contextlib.asynccontextmanager
async def _udp(harness: Harness) -> AsyncIterator[tuple[str, int]]:
    transport = await open_udp_listener(
        bind=HOST, port=0, builder=harness.builder, pipeline=harness.pipeline, now=_now
    )
    try:
        yield transport.get_extra_info("sockname")[:2]
    finally:
        transport.close()


@contextlib.asynccontextmanager
async def _tcp(
    harness: Harness, *, tls: ssl.SSLContext | None = None, max_connections: int = 16
) -> AsyncIterator[tuple[str, int]]:
    server = SyslogTcpServer(
        builder=harness.builder,
        pipeline=harness.pipeline,
        now=_now,
        max_connections=max_connections,
    )
    listening = await server.start(bind=HOST, port=0, tls=tls)
    try:
        yield listening.sockets[0].getsockname()[:2]
    finally:
        listening.close()
        await server.close_connections()
        await listening.wait_closed()


def _send_udp(address: tuple[str, int], *datagrams: bytes) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        for datagram in datagrams:
            client.sendto(datagram, address)


async def _send_tcp(
    address: tuple[str, int], payload: bytes, *, tls: ssl.SSLContext | None = None
) -> None:
    _reader, writer = await asyncio.open_connection(
        *address, ssl=tls, server_hostname=HOST if tls else None
    )
    writer.write(payload)
    await writer.drain()
    writer.close()
    with contextlib.suppress(ConnectionError, ssl.SSLError):
        await writer.wait_closed()


async def test_udp_syslog_reaches_the_pipeline_with_its_auth_failure() -> None:
    harness = _harness()
    async with harness.delivering(), _udp(harness) as address:
        _send_udp(address, SSH_FAILURE, b"<13>1 2026-06-01T08:00:01Z gw app 1 - - hello")
        events = await harness.sink.wait_for(3)
    logs = [e for e in events if e.kind == "log"]
    failures = [e for e in events if e.kind == "auth_failure"]
    assert len(logs) == 2
    assert len(failures) == 1
    assert failures[0].fields["source_address"] == "198.51.100.10"
    assert failures[0].fields["account"] == "root"
    assert failures[0].fields["product"] == "sshd"
    assert failures[0].source == "syslog-test"
    assert failures[0].received_at == _now()
    assert logs[1].fields["message"] == "hello"
    assert harness.count("garrison_ingest_events_total") == 2


async def test_udp_drops_when_the_queue_is_full_and_counts_them() -> None:
    harness = _harness(capacity=2)
    async with _udp(harness) as address:
        _send_udp(address, *(b"<13>Jun  1 08:00:00 gw app: line %d" % n for n in range(6)))
        await eventually(
            lambda: harness.count("garrison_ingest_dropped_total", reason="queue_full") == 4,
            what="4 drops",
        )
    assert harness.pipeline.queue.depth == 2
    assert harness.count("garrison_ingest_events_total") == 2


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(SSH_FAILURE + b"\n" + SSH_FAILURE + b"\n", id="newline"),
        pytest.param(
            b"%d %s%d %s" % (len(SSH_FAILURE), SSH_FAILURE, len(SSH_FAILURE), SSH_FAILURE),
            id="octet-counting",
        ),
        pytest.param(b"%d %s" % (len(SSH_FAILURE), SSH_FAILURE) + SSH_FAILURE + b"\n", id="mixed"),
    ],
)
async def test_tcp_framings(payload: bytes) -> None:
    harness = _harness()
    async with harness.delivering(), _tcp(harness) as address:
        await _send_tcp(address, payload)
        failures = await harness.sink.wait_for(2, kind="auth_failure")
    assert [f.fields["source_address"] for f in failures] == ["198.51.100.10"] * 2
    assert all(e.raw == SSH_FAILURE.decode() for e in harness.sink.events)


async def test_tls_with_a_certificate_made_here(tmp_path: Path) -> None:
    authority = trustme.CA()
    certificate = authority.issue_cert(HOST)
    cert_file, key_file = tmp_path / "server.pem", tmp_path / "server.key"
    certificate.private_key_pem.write_to_path(str(key_file))
    with cert_file.open("wb") as out:
        for blob in certificate.cert_chain_pems:
            out.write(blob.bytes())
    client = ssl.create_default_context()
    authority.configure_trust(client)
    harness = _harness()
    async with (
        harness.delivering(),
        _tcp(harness, tls=server_ssl_context(cert_file, key_file)) as address,
    ):
        await _send_tcp(address, b"%d %s" % (len(SSH_FAILURE), SSH_FAILURE), tls=client)
        failures = await harness.sink.wait_for(1, kind="auth_failure")
    assert failures[0].fields["source_address"] == "198.51.100.10"


async def test_tcp_slows_the_sender_when_the_queue_is_full() -> None:
    harness = _harness(capacity=2)
    lines = b"".join(b"<13>Jun  1 08:00:00 gw app: line %d\n" % n for n in range(5))
    async with _tcp(harness) as address:
        await _send_tcp(address, lines)
        await eventually(lambda: harness.pipeline.queue.depth == 2, what="a full queue")
        assert harness.count("garrison_ingest_dropped_total", reason="queue_full") == 0
        async with harness.delivering():
            events = await harness.sink.wait_for(5)
    assert [e.fields["message"] for e in events] == [f"line {n}" for n in range(5)]


async def test_a_one_megabyte_line_is_cut_counted_and_the_stream_goes_on() -> None:
    harness = _harness(max_event_bytes=65_536)
    huge = b"<13>Jun  1 08:00:00 gw app: " + b"A" * 1_048_576
    async with harness.delivering(), _tcp(harness) as address:
        await _send_tcp(address, huge + b"\n" + b"<13>Jun  1 08:00:01 gw app: after\n")
        events = await harness.sink.wait_for(2)
    assert len(events[0].raw.encode()) == 65_536
    assert events[1].fields["message"] == "after"
    assert harness.count("garrison_ingest_rejected_total", reason="truncated") == 1


async def test_an_oversized_octet_counted_frame_is_cut_and_the_next_frame_still_read() -> None:
    harness = _harness(max_event_bytes=1024)
    big = b"<13>Jun  1 08:00:00 gw app: " + b"B" * 5000
    small = b"<13>Jun  1 08:00:01 gw app: next"
    payload = b"%d %s%d %s" % (len(big), big, len(small), small)
    async with harness.delivering(), _tcp(harness) as address:
        await _send_tcp(address, payload)
        events = await harness.sink.wait_for(2)
    assert len(events[0].raw) == 1024
    assert events[1].fields["message"] == "next"


async def test_invalid_utf8_is_replaced_and_counted() -> None:
    harness = _harness()
    async with harness.delivering(), _udp(harness) as address:
        _send_udp(address, b"<13>Jun  1 08:00:00 gw app: caf\xe9 \xff")
        events = await harness.sink.wait_for(1)
    assert events[0].fields["message"] == "caf\ufffd \ufffd"
    assert harness.count("garrison_ingest_invalid_utf8_total") == 1


async def test_malformed_syslog_is_kept_raw_and_counted() -> None:
    harness = _harness()
    async with harness.delivering(), _udp(harness) as address:
        _send_udp(address, b"<999>\x00\x01garbage", b"\n")
        events = await harness.sink.wait_for(1)
    assert events[0].parser == "raw"
    assert "garbage" in events[0].raw
    assert harness.count("garrison_ingest_parse_errors_total") == 1


async def test_connections_beyond_the_limit_are_refused_and_counted() -> None:
    harness = _harness()
    async with harness.delivering(), _tcp(harness, max_connections=1) as address:
        _held_reader, held = await asyncio.open_connection(*address)
        held.write(b"<13>Jun  1 08:00:00 gw app: first\n")
        await held.drain()
        await harness.sink.wait_for(1)
        reader, writer = await asyncio.open_connection(*address)
        async with asyncio.timeout(5):
            assert await reader.read() == b""
        writer.close()
        held.close()
    assert harness.count("garrison_ingest_rejected_total", reason="too_many_connections") == 1
