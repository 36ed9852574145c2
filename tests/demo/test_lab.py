from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

import garrison.demo.lab
from garrison.clock import ManualClock
from garrison.demo.lab import (
    DemoLab,
    FaultKind,
    FaultWindow,
    HttpSite,
    LabError,
    TcpService,
    UnknownTargetError,
    UnsupportedFaultError,
)
from tests.demo.factories import IO_TIMEOUT, SLOW_DELAY, TEST_PAGE, raw_exchange, read_banner

MINUTE = 60.0
SCHEDULE = (
    FaultWindow(
        "link", FaultKind.DOWN, timedelta(minutes=2), timedelta(minutes=3), timedelta(minutes=20)
    ),
    FaultWindow("site", FaultKind.ERROR, timedelta(0), timedelta(minutes=1)),
)


def _build_lab(clock: ManualClock) -> DemoLab:
    targets = (
        HttpSite(name="site", port=0, page=TEST_PAGE, slow_delay=SLOW_DELAY),
        TcpService(name="link", port=0),
    )
    return DemoLab(targets, clock=clock, schedule=SCHEDULE)


@pytest.fixture
async def lab(lab_clock: ManualClock) -> AsyncIterator[DemoLab]:
    async with _build_lab(lab_clock) as lab:
        yield lab


async def _wait_for(lab: DemoLab, target: str, fault: FaultKind | None) -> None:
    async with asyncio.timeout(IO_TIMEOUT):
        await lab.wait_for_fault(target, fault)


async def _site_status(lab: DemoLab) -> int:
    answer = await raw_exchange(
        lab.port("site"), b"GET /healthz HTTP/1.1\r\nHost: lab\r\nConnection: close\r\n\r\n"
    )
    return int(answer.split(b" ", 2)[1])


async def test_every_listener_is_up_when_the_lab_is_entered(lab: DemoLab) -> None:
    statuses = {status.name: status for status in lab.status()}

    assert [status.name for status in lab.status()] == ["site", "link"]
    assert all(status.host == "127.0.0.1" and status.listening for status in statuses.values())
    assert statuses["site"].kind == "http"
    assert statuses["link"].kind == "tcp"
    assert statuses["site"].port == lab.port("site") != 0
    assert await read_banner(lab.port("link")) == b"GARRISON-LAB link READY\r\n"


async def test_a_window_open_at_the_start_is_applied_before_entry_returns(lab: DemoLab) -> None:
    assert lab.status()[0].fault is FaultKind.ERROR
    assert await _site_status(lab) == 503


async def test_schedule_applies_clears_and_repeats_faults(
    lab: DemoLab, lab_clock: ManualClock
) -> None:
    port = lab.port("link")

    lab_clock.advance(1 * MINUTE)
    await _wait_for(lab, "site", None)
    assert await _site_status(lab) == 200
    lab_clock.advance(1 * MINUTE - 1)
    assert lab.status()[1].fault is None

    lab_clock.advance(1)
    await _wait_for(lab, "link", FaultKind.DOWN)
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection("127.0.0.1", port)

    lab_clock.advance(3 * MINUTE)
    await _wait_for(lab, "link", None)
    assert (await read_banner(port)).startswith(b"GARRISON-LAB")

    lab_clock.advance(17 * MINUTE)
    await _wait_for(lab, "link", FaultKind.DOWN)
    assert lab.status()[0].fault is None


async def test_a_long_jump_lands_in_the_scheduled_state(
    lab: DemoLab, lab_clock: ManualClock
) -> None:
    lab_clock.advance(63 * MINUTE)

    await _wait_for(lab, "link", FaultKind.DOWN)
    await _wait_for(lab, "site", None)


async def test_manual_fault_holds_until_the_schedule_changes_that_target(
    lab: DemoLab, lab_clock: ManualClock
) -> None:
    await lab.set_fault("link", FaultKind.RESET)
    await lab.set_fault("site", FaultKind.SLOW)

    lab_clock.advance(1 * MINUTE)
    await _wait_for(lab, "site", None)
    assert lab.status()[1].fault is FaultKind.RESET
    lab_clock.advance(1 * MINUTE)
    await _wait_for(lab, "link", FaultKind.DOWN)


async def test_set_fault_refuses_unknown_targets_and_faults(lab: DemoLab) -> None:
    with pytest.raises(UnknownTargetError):
        await lab.set_fault("nowhere", FaultKind.DOWN)
    with pytest.raises(UnsupportedFaultError):
        await lab.set_fault("link", FaultKind.SLOW)
    with pytest.raises(UnknownTargetError):
        lab.port("nowhere")


def test_schedule_must_name_known_targets_and_supported_faults(lab_clock: ManualClock) -> None:
    site = HttpSite(name="site", port=0, page=TEST_PAGE)
    unknown = FaultWindow("ghost", FaultKind.DOWN, timedelta(0), timedelta(minutes=1))
    unsupported = FaultWindow("site", FaultKind.RESET, timedelta(0), timedelta(minutes=1))

    with pytest.raises(UnknownTargetError):
        DemoLab([site], clock=lab_clock, schedule=[unknown])
    with pytest.raises(UnsupportedFaultError):
        DemoLab([site], clock=lab_clock, schedule=[unsupported])
    with pytest.raises(LabError, match="two lab targets"):
        DemoLab([site, TcpService(name="site", port=0)], clock=lab_clock)


async def test_fault_changes_are_logged(
    lab: DemoLab, lab_clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="garrison.demo.lab")

    lab_clock.advance(1 * MINUTE)
    await _wait_for(lab, "site", None)
    await lab.set_fault("link", FaultKind.HANG)

    messages = [record.getMessage() for record in caplog.records]
    assert "demo lab: fault error on site ended (schedule)" in messages
    assert "demo lab: fault hang on link started (manual)" in messages


class _ErrorSignal(logging.Handler):
    """Sets an event when an error is logged."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.logged = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        self.logged.set()


async def test_a_target_that_cannot_come_back_is_contained(
    lab: DemoLab, lab_clock: ManualClock
) -> None:
    port = lab.port("link")
    lab_clock.advance(2 * MINUTE)
    await _wait_for(lab, "link", FaultKind.DOWN)
    signal = _ErrorSignal()
    lab_logger = logging.getLogger("garrison.demo.lab.lab")
    lab_logger.addHandler(signal)

    try:
        with socket.socket() as squatter:
            squatter.bind(("127.0.0.1", port))
            squatter.listen()
            lab_clock.advance(3 * MINUTE)
            async with asyncio.timeout(IO_TIMEOUT):
                await signal.logged.wait()
    finally:
        lab_logger.removeHandler(signal)

    assert lab.status()[1].fault is FaultKind.DOWN
    assert not lab.status()[1].listening
    await lab.set_fault("link", None)
    assert (await read_banner(port)).startswith(b"GARRISON-LAB")


async def test_leaving_the_lab_closes_everything(lab_clock: ManualClock) -> None:
    open_files = _open_file_count()
    async with _build_lab(lab_clock) as lab:
        ports = [lab.port("site"), lab.port("link")]
        await lab.set_fault("link", FaultKind.HANG)
        reader, writer = await asyncio.open_connection("127.0.0.1", ports[1])
        async with httpx.AsyncClient(trust_env=False) as client:
            await lab.set_fault("site", FaultKind.HANG)
            with pytest.raises(httpx.ReadTimeout):
                await client.get(
                    f"http://127.0.0.1:{ports[0]}/",
                    timeout=httpx.Timeout(IO_TIMEOUT, read=0.2),
                )

    async with asyncio.timeout(IO_TIMEOUT):
        assert await reader.read() == b""
    writer.close()
    await writer.wait_closed()
    assert asyncio.all_tasks() == {asyncio.current_task()}
    for port in ports:
        with pytest.raises(ConnectionRefusedError):
            await asyncio.open_connection("127.0.0.1", port)
    if open_files is not None:
        assert _open_file_count() == open_files
    assert lab.started_at is None


async def test_the_lab_cannot_be_entered_twice(lab: DemoLab) -> None:
    with pytest.raises(LabError, match="already running"):
        await lab.__aenter__()


def _open_file_count() -> int | None:
    descriptors = Path("/proc/self/fd")
    return len(os.listdir(descriptors)) if descriptors.is_dir() else None


def test_public_surface() -> None:
    assert set(garrison.demo.lab.__all__) == {
        "BEHIND_CORE_SWITCH",
        "CORE_SWITCH",
        "DEFAULT_LAB_PORTS",
        "DEFAULT_SCHEDULE",
        "DNS_SERVER",
        "EVENT_PORTAL",
        "EVENT_PORTAL_TLS",
        "INTRANET",
        "LAB_HOST",
        "LINK_BACKUP",
        "LINK_PRIMARY",
        "MAIL_RELAY",
        "PHONE_EXCHANGE",
        "PRESS_CENTRE",
        "PRESS_STREAM",
        "PRESS_WIFI",
        "SIEM_COLLECTOR",
        "TIME_SERVER",
        "VIDEO_BRIDGE",
        "WEBMAIL",
        "DatagramTarget",
        "DemoLab",
        "DnsServer",
        "FaultKind",
        "FaultSchedule",
        "FaultWindow",
        "HttpSite",
        "InvalidScheduleError",
        "LabCertificate",
        "LabError",
        "LabTarget",
        "ListenError",
        "ListeningTarget",
        "SipExchange",
        "SitePage",
        "SmtpRelay",
        "StreamTarget",
        "SyslogCollector",
        "TargetStatus",
        "TcpService",
        "TimeServer",
        "UnknownTargetError",
        "UnsupportedFaultError",
        "default_lab",
    }
