from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest

from garrison.clock import ManualClock
from garrison.demo.lab import (
    CORE_SWITCH,
    DEFAULT_LAB_PORTS,
    DEFAULT_SCHEDULE,
    EVENT_PORTAL,
    LINK_BACKUP,
    LINK_PRIMARY,
    PRESS_CENTRE,
    DemoLab,
    FaultKind,
    FaultSchedule,
    UnknownTargetError,
    default_lab,
)
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
        LINK_PRIMARY: 18022,
        LINK_BACKUP: 18023,
        CORE_SWITCH: 18010,
    }


async def test_default_lab_serves_two_sites_and_three_services(lab: DemoLab) -> None:
    kinds = {status.name: status.kind for status in lab.status()}

    assert kinds == {
        EVENT_PORTAL: "http",
        PRESS_CENTRE: "http",
        LINK_PRIMARY: "tcp",
        LINK_BACKUP: "tcp",
        CORE_SWITCH: "tcp",
    }
    async with httpx.AsyncClient(trust_env=False, timeout=IO_TIMEOUT) as client:
        portal = await client.get(f"http://127.0.0.1:{lab.port(EVENT_PORTAL)}/")
        press = await client.get(f"http://127.0.0.1:{lab.port(PRESS_CENTRE)}/")
    assert "Congress Portal" in portal.text
    assert "Trung tâm Báo chí" in press.text
    banner = await read_banner(lab.port(LINK_PRIMARY))
    assert banner == b"GARRISON-LAB link-primary READY\r\n"


def test_default_schedule_shows_a_fault_within_minutes_and_repeats() -> None:
    schedule = FaultSchedule(DEFAULT_SCHEDULE)

    first = schedule.next_change_after(timedelta(0))
    assert first is not None
    assert first <= timedelta(minutes=5)
    assert all(window.period is not None for window in DEFAULT_SCHEDULE)
    assert schedule.faults_at(timedelta(minutes=3)) == {LINK_PRIMARY: FaultKind.DOWN}
    assert schedule.faults_at(timedelta(minutes=7)) == {PRESS_CENTRE: FaultKind.ERROR}
    assert schedule.faults_at(timedelta(minutes=10, seconds=30)) == {EVENT_PORTAL: FaultKind.SLOW}
    assert schedule.faults_at(timedelta(minutes=23)) == {LINK_PRIMARY: FaultKind.DOWN}


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
