from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest

from garrison.clock import ManualClock
from garrison.demo.lab import DemoLab, FaultKind, FaultWindow, HttpSite, LabError, TcpService
from tests.demo.factories import IO_TIMEOUT, TEST_PAGE, read_banner

SWITCH_DOWN = FaultWindow("switch", FaultKind.DOWN, timedelta(minutes=1), timedelta(minutes=2))


def _targets() -> tuple[HttpSite, TcpService, TcpService, TcpService]:
    return (
        HttpSite(name="site", port=0, page=TEST_PAGE),
        TcpService(name="switch", port=0),
        TcpService(name="access", port=0),
        TcpService(name="uplink", port=0),
    )


@pytest.fixture
async def lab(lab_clock: ManualClock) -> AsyncIterator[DemoLab]:
    behind = {"switch": ["site", "access"], "access": ["uplink"]}
    async with DemoLab(_targets(), clock=lab_clock, schedule=[SWITCH_DOWN], behind=behind) as lab:
        yield lab


async def _wait(lab: DemoLab, target: str, fault: FaultKind | None) -> None:
    async with asyncio.timeout(IO_TIMEOUT):
        await lab.wait_for_fault(target, fault)


async def test_a_down_upstream_cuts_off_everything_behind_it(
    lab: DemoLab, lab_clock: ManualClock
) -> None:
    lab_clock.advance(60)
    await _wait(lab, "switch", FaultKind.DOWN)

    faults = {status.name: status.fault for status in lab.status()}
    assert faults == {
        "site": FaultKind.HANG,
        "switch": FaultKind.DOWN,
        "access": FaultKind.HANG,
        "uplink": FaultKind.HANG,  # behind "access", itself cut off
    }
    assert lab.cut_off_by("site") == "switch"
    assert lab.cut_off_by("uplink") == "access"
    assert lab.cut_off_by("switch") is None
    async with httpx.AsyncClient(trust_env=False) as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.get(
                f"http://127.0.0.1:{lab.port('site')}/",
                timeout=httpx.Timeout(IO_TIMEOUT, read=0.3),
            )

    lab_clock.advance(120)
    await _wait(lab, "switch", None)
    assert {status.fault for status in lab.status()} == {None}
    assert (await read_banner(lab.port("uplink"))).startswith(b"GARRISON-LAB uplink")


async def test_a_fault_set_while_cut_off_applies_once_reachable(
    lab: DemoLab, lab_clock: ManualClock
) -> None:
    lab_clock.advance(60)
    await _wait(lab, "switch", FaultKind.DOWN)

    await lab.set_fault("site", FaultKind.ERROR)

    assert lab.status()[0].fault is FaultKind.HANG
    lab_clock.advance(120)
    await _wait(lab, "site", FaultKind.ERROR)


async def test_a_hung_upstream_cuts_off_nothing(lab: DemoLab) -> None:
    await lab.set_fault("switch", FaultKind.HANG)

    assert lab.cut_off_by("site") is None
    assert lab.status()[0].fault is None


async def test_cutting_off_is_logged(
    lab: DemoLab, lab_clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="garrison.demo.lab")

    lab_clock.advance(60)
    await _wait(lab, "switch", FaultKind.DOWN)
    lab_clock.advance(120)
    await _wait(lab, "site", None)

    messages = [record.getMessage() for record in caplog.records]
    assert "demo lab: site cut off behind switch" in messages
    assert "demo lab: uplink cut off behind access" in messages
    assert "demo lab: site reachable again" in messages


@pytest.mark.parametrize(
    ("behind", "problem"),
    [
        ({"ghost": ["site"]}, "no target 'ghost'"),
        ({"switch": ["ghost"]}, "no target 'ghost'"),
        ({"switch": ["switch"]}, "behind itself"),
        ({"switch": ["access"], "access": ["switch"]}, "behind each other"),
    ],
)
def test_the_topology_must_make_sense(
    lab_clock: ManualClock, behind: dict[str, list[str]], problem: str
) -> None:
    with pytest.raises(LabError, match=problem):
        DemoLab(_targets(), clock=lab_clock, behind=behind)
