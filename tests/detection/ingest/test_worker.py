"""The ingest worker: configured sources in, pipeline, store; a broken source stays apart."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from garrison.config.detection import DetectionSettings
from garrison.detection.ingest import service
from garrison.detection.ingest.worker import IngestWorker
from garrison.detection.pipeline import pipeline_for
from garrison.runtime.context import AppContext
from tests.detection.ingest.factories import (
    RecordingSink,
    detection_settings,
    eventually,
    metric,
)
from tests.process import free_port


@contextlib.asynccontextmanager
async def _running(context: AppContext, settings: DetectionSettings) -> AsyncIterator[IngestWorker]:
    async def no_wait(_seconds: float) -> None:
        await asyncio.sleep(0.01)

    worker = IngestWorker(context, settings=settings, tail_sleep=no_wait)
    started = asyncio.Event()
    task = asyncio.create_task(worker.run(started.set))
    try:
        async with asyncio.timeout(10):
            waiter = asyncio.create_task(started.wait())
            done, _ = await asyncio.wait({waiter, task}, return_when=asyncio.FIRST_COMPLETED)
            assert waiter in done, "the worker stopped before starting"
        yield worker
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_sources_feed_the_pipeline_and_the_store(context: AppContext, tmp_path: Path) -> None:
    log = tmp_path / "vsftpd.log"
    log.write_bytes(b"")
    udp_port = free_port()
    settings = detection_settings(
        {"name": "udp", "type": "syslog_udp", "port": udp_port},
        {
            "name": "ftp",
            "type": "file",
            "path": str(log),
            "parser": "vsftpd",
            "start_at": "beginning",
        },
    )
    sink = RecordingSink()
    pipeline_for(context).add_sink("rules", sink)
    async with _running(context, settings) as worker:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
            client.sendto(
                b"<38>Jun  1 08:00:00 gw sshd[1]: Invalid user x from 203.0.113.3",
                ("127.0.0.1", udp_port),
            )
        with log.open("ab") as out:
            out.write(
                b'Thu Jun  1 08:00:00 2026 [pid 1] [bob] FAIL LOGIN: Client "198.51.100.61"\n'
            )
        failures = await sink.wait_for(2, kind="auth_failure")
        assert worker.store is not None
        async with asyncio.timeout(10):
            await worker.store.wait_idle()
    assert {(f.source, f.fields["source_address"]) for f in failures} == {
        ("udp", "203.0.113.3"),
        ("ftp", "198.51.100.61"),
    }
    async with context.sessions() as session:
        stored = await service.search_events(session, query=service.EventQuery(kind="auth_failure"))
    assert {row.source for row in stored} == {"udp", "ftp"}
    assert metric(context.registry, "garrison_ingest_source_up", {"source": "udp"}) == 1


async def test_a_source_that_cannot_start_is_shown_down_and_the_others_run(
    context: AppContext,
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        free = free_port()
        settings = detection_settings(
            {"name": "busy", "type": "syslog_tcp", "port": port},
            {"name": "fine", "type": "syslog_tcp", "port": free},
        )
        async with _running(context, settings) as worker:
            assert "busy" not in worker.bound
            assert worker.bound["fine"] == ("127.0.0.1", free)
            assert metric(context.registry, "garrison_ingest_source_up", {"source": "busy"}) == 0
            assert metric(context.registry, "garrison_ingest_source_up", {"source": "fine"}) == 1


async def test_the_udp_intake_buffer_size_is_a_setting(context: AppContext) -> None:
    port = free_port()
    settings = detection_settings(
        {"name": "udp", "type": "syslog_udp", "port": port},
        queues={"udp_intake_datagrams": 100},
    )
    async with _running(context, settings):
        # Sent while the loop cannot read: all 300 wait in the kernel, then 100 fit.
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
            for number in range(300):
                client.sendto(b"<13>Jun  1 08:00:00 gw app: line %d" % number, ("127.0.0.1", port))
        dropped = {"source": "udp", "reason": "buffer_full"}
        await eventually(
            lambda: metric(context.registry, "garrison_ingest_dropped_total", dropped) == 200,
            what="200 dropped",
        )
    assert metric(context.registry, "garrison_ingest_events_total", {"source": "udp"}) == 100


def test_the_udp_intake_buffer_size_is_bounded() -> None:
    for wrong in (99, 1_000_001):
        with pytest.raises(ValidationError, match="udp_intake_datagrams"):
            detection_settings(queues={"udp_intake_datagrams": wrong})
