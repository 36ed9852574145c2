from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dns.asyncquery
import dns.message
import httpx
import pytest

from garrison.clock import ManualClock
from garrison.demo.lab import (
    BEHIND_CORE_SWITCH,
    CORE_SWITCH,
    DEFAULT_LAB_PORTS,
    DEFAULT_SCHEDULE,
    DNS_SERVER,
    EVENT_PORTAL,
    EVENT_PORTAL_TLS,
    INTRANET,
    LINK_BACKUP,
    LINK_PRIMARY,
    MAIL_RELAY,
    PHONE_EXCHANGE,
    PRESS_CENTRE,
    PRESS_STREAM,
    PRESS_WIFI,
    SIEM_COLLECTOR,
    TIME_SERVER,
    VIDEO_BRIDGE,
    WEBMAIL,
    DemoLab,
    FaultKind,
    FaultSchedule,
    UnknownTargetError,
    default_lab,
)
from garrison.demo.lab.defaults import WEB_SSH, WEBHOOK_SINK
from tests.demo.factories import IO_TIMEOUT, read_banner

ANY_FREE_PORT = dict.fromkeys(DEFAULT_LAB_PORTS, 0)


@pytest.fixture
async def lab(lab_clock: ManualClock) -> AsyncIterator[DemoLab]:
    async with default_lab(lab_clock, ports=ANY_FREE_PORT) as lab:
        yield lab


def test_default_ports_are_the_demo_event_ones() -> None:
    assert dict(DEFAULT_LAB_PORTS) == {
        EVENT_PORTAL: 18080,
        PRESS_CENTRE: 18081,
        INTRANET: 18082,
        WEBMAIL: 18083,
        EVENT_PORTAL_TLS: 18443,
        VIDEO_BRIDGE: 18070,
        PRESS_STREAM: 18071,
        LINK_PRIMARY: 18022,
        LINK_BACKUP: 18023,
        CORE_SWITCH: 18010,
        PRESS_WIFI: 18030,
        DNS_SERVER: 18053,
        PHONE_EXCHANGE: 18060,
        MAIL_RELAY: 18025,
        SIEM_COLLECTOR: 18514,
        TIME_SERVER: 18123,
        WEB_SSH: 18222,
        WEBHOOK_SINK: 18900,
    }


async def test_default_lab_serves_every_service_of_the_demo_event(lab: DemoLab) -> None:
    kinds = {status.name: status.kind for status in lab.status()}

    assert kinds == {
        EVENT_PORTAL: "http",
        EVENT_PORTAL_TLS: "https",
        PRESS_CENTRE: "http",
        INTRANET: "http",
        WEBMAIL: "http",
        VIDEO_BRIDGE: "http",
        PRESS_STREAM: "http",
        LINK_PRIMARY: "tcp",
        LINK_BACKUP: "tcp",
        CORE_SWITCH: "tcp",
        PRESS_WIFI: "tcp",
        DNS_SERVER: "dns",
        PHONE_EXCHANGE: "sip",
        MAIL_RELAY: "smtp",
        SIEM_COLLECTOR: "syslog",
        TIME_SERVER: "ntp",
        WEB_SSH: "ssh",
        WEBHOOK_SINK: "webhook",
    }
    assert all(status.listening for status in lab.status())
    async with httpx.AsyncClient(trust_env=False, timeout=IO_TIMEOUT) as client:
        portal = await client.get(f"http://127.0.0.1:{lab.port(EVENT_PORTAL)}/")
        press = await client.get(f"http://127.0.0.1:{lab.port(PRESS_CENTRE)}/")
        bridge = await client.get(f"http://127.0.0.1:{lab.port(VIDEO_BRIDGE)}/health")
        stream = await client.get(f"http://127.0.0.1:{lab.port(PRESS_STREAM)}/live/index.m3u8")
    assert "Congress Portal" in portal.text
    assert "Trung tâm Báo chí" in press.text
    assert bridge.json()["status"] == "ok"
    assert stream.text.startswith("#EXTM3U")
    banner = await read_banner(lab.port(LINK_PRIMARY))
    assert banner == b"GARRISON-LAB link-primary READY\r\n"
    answer = await dns.asyncquery.udp(
        dns.message.make_query("www.congress.example.", "A"),
        "127.0.0.1",
        port=lab.port(DNS_SERVER),
        timeout=IO_TIMEOUT,
    )
    assert [rdata.to_text() for rrset in answer.answer for rdata in rrset] == ["127.0.0.1"]


async def test_default_lab_writes_its_authority_and_serves_tls_with_it(tmp_path: Path) -> None:
    ca_file = tmp_path / "demo-lab" / "ca.pem"
    async with default_lab(
        ManualClock(datetime.now(UTC)), ports=ANY_FREE_PORT, ca_file=ca_file
    ) as lab:
        trusted = ssl.create_default_context(cafile=str(ca_file))
        async with httpx.AsyncClient(trust_env=False, verify=trusted, timeout=IO_TIMEOUT) as client:
            page = await client.get(f"https://127.0.0.1:{lab.port(EVENT_PORTAL_TLS)}/")
    assert "Congress Portal" in page.text


def test_default_schedule_shows_a_fault_within_minutes_and_repeats() -> None:
    schedule = FaultSchedule(DEFAULT_SCHEDULE)

    first = schedule.next_change_after(timedelta(0))
    assert first is not None
    assert first <= timedelta(minutes=5)
    assert all(window.period is not None for window in DEFAULT_SCHEDULE)
    assert schedule.faults_at(timedelta(minutes=1, seconds=15)) == {WEB_SSH: FaultKind.ATTACK}
    assert schedule.faults_at(timedelta(minutes=3)) == {LINK_PRIMARY: FaultKind.DOWN}
    assert schedule.faults_at(timedelta(minutes=7)) == {PRESS_CENTRE: FaultKind.ERROR}
    assert schedule.faults_at(timedelta(minutes=10, seconds=30)) == {EVENT_PORTAL: FaultKind.SLOW}
    assert schedule.faults_at(timedelta(minutes=23)) == {LINK_PRIMARY: FaultKind.DOWN}
    assert schedule.faults_at(timedelta(minutes=5)) == {DNS_SERVER: FaultKind.HIJACK}
    assert schedule.faults_at(timedelta(minutes=15)) == {CORE_SWITCH: FaultKind.DOWN}
    assert schedule.faults_at(timedelta(minutes=18)) == {PRESS_CENTRE: FaultKind.DEFACE}
    faulted = {window.target for window in DEFAULT_SCHEDULE}
    assert {SIEM_COLLECTOR, PHONE_EXCHANGE, MAIL_RELAY} <= faulted


async def test_the_core_switch_going_down_cuts_off_the_services_behind_it(
    lab: DemoLab, lab_clock: ManualClock
) -> None:
    lab_clock.advance(14 * 60)

    async with asyncio.timeout(IO_TIMEOUT):
        await lab.wait_for_fault(CORE_SWITCH, FaultKind.DOWN)
    cut_off = {status.name for status in lab.status() if status.fault is FaultKind.HANG}
    assert cut_off == set(BEHIND_CORE_SWITCH)
    assert len(cut_off) >= 3
    assert (await read_banner(lab.port(LINK_BACKUP))).startswith(b"GARRISON-LAB link-backup")
    lab_clock.advance(2 * 60)
    async with asyncio.timeout(IO_TIMEOUT):
        await lab.wait_for_fault(CORE_SWITCH, None)
    assert all(lab.cut_off_by(name) is None for name in BEHIND_CORE_SWITCH)


async def test_default_lab_takes_the_primary_link_down_after_two_minutes(
    lab: DemoLab, lab_clock: ManualClock
) -> None:
    lab_clock.advance(120)

    async with asyncio.timeout(IO_TIMEOUT):
        await lab.wait_for_fault(LINK_PRIMARY, FaultKind.DOWN)
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection("127.0.0.1", lab.port(LINK_PRIMARY))
    assert (await read_banner(lab.port(LINK_BACKUP))).startswith(b"GARRISON-LAB link-backup")


def test_port_overrides_must_name_a_target(lab_clock: ManualClock) -> None:
    with pytest.raises(UnknownTargetError):
        default_lab(lab_clock, ports={"mail": 0})
