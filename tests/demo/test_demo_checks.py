"""The demo event's checks, run by the real runners against the real lab, healthy and faulted."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from garrison.clock import ManualClock
from garrison.config import EventConfig
from garrison.demo.lab import (
    CORE_SWITCH,
    DEFAULT_LAB_PORTS,
    DNS_SERVER,
    LINK_PRIMARY,
    MAIL_RELAY,
    PHONE_EXCHANGE,
    PRESS_CENTRE,
    SIEM_COLLECTOR,
    DemoLab,
    FaultKind,
    default_lab,
)
from garrison.probes.service_state import ServiceInput, evaluate_services
from garrison.probes.states import CheckState, ServiceState
from tests.demo.lab_checks import demo_config, failing, retarget, run_all

# Cut-off targets never answer: a short timeout keeps the test quick.
RUN_TIMEOUT = 1.0


@pytest.fixture
async def lab_and_checks(tmp_path: Path) -> AsyncIterator[tuple[DemoLab, EventConfig]]:
    ca_file = tmp_path / "ca.pem"
    clock = ManualClock(datetime.now(UTC))
    lab = default_lab(
        clock, ports=dict.fromkeys(DEFAULT_LAB_PORTS, 0), schedule=(), ca_file=ca_file
    )
    async with lab:
        yield lab, retarget(demo_config(ca_file), lab, timeout=RUN_TIMEOUT)


def test_every_service_has_a_check_on_the_lab(tmp_path: Path) -> None:
    config = demo_config(tmp_path / "ca.pem")

    watched = {check.service for check in config.checks}
    assert watched == {service.id for service in config.services}
    assert {check.type for check in config.checks} == {
        "http",
        "tls",
        "dns",
        "tcp",
        "sip",
        "smtp",
        "content",
        "heartbeat",
    }
    for check in config.checks:
        assert 5 <= check.interval <= 15, check.id
        assert check.fail_after == 2, check.id
    [window] = config.maintenance
    assert window.services == ("intranet-portal",)
    assert window.recurrence is not None
    assert window.recurrence.start_time.isoformat() == "02:00:00"


async def test_every_check_passes_on_the_healthy_lab(
    lab_and_checks: tuple[DemoLab, EventConfig],
) -> None:
    _lab, config = lab_and_checks

    results = await run_all(config)

    assert failing(results) == {}
    assert results["event-website-tls"].details["verified"] is True
    assert results["mail-relay-smtp"].details["tls"] is True


@pytest.mark.parametrize(
    ("target", "fault", "failed"),
    [
        (DNS_SERVER, FaultKind.HIJACK, {"dns-www-a"}),
        (PRESS_CENTRE, FaultKind.DEFACE, {"press-portal-content"}),
        (PRESS_CENTRE, FaultKind.ERROR, {"press-portal-http", "press-portal-content"}),
        (PHONE_EXCHANGE, FaultKind.ERROR, {"voip-hotline-sip-udp", "voip-hotline-sip-tcp"}),
        (MAIL_RELAY, FaultKind.ERROR, {"mail-relay-smtp"}),
        (SIEM_COLLECTOR, FaultKind.DOWN, {"siem-collector-tcp"}),
        (LINK_PRIMARY, FaultKind.DOWN, {"uplink-primary-tcp"}),
    ],
)
async def test_each_scheduled_fault_fails_exactly_its_checks(
    lab_and_checks: tuple[DemoLab, EventConfig],
    target: str,
    fault: FaultKind,
    failed: set[str],
) -> None:
    lab, config = lab_and_checks

    await lab.set_fault(target, fault)

    assert set(failing(await run_all(config))) == failed


async def test_hijack_and_defacement_are_explained(
    lab_and_checks: tuple[DemoLab, EventConfig],
) -> None:
    lab, config = lab_and_checks
    await lab.set_fault(DNS_SERVER, FaultKind.HIJACK)
    await lab.set_fault(PRESS_CENTRE, FaultKind.DEFACE)

    reasons = failing(await run_all(config))

    assert "203.0.113.66" in reasons["dns-www-a"]
    assert "hacked by" in reasons["press-portal-content"].lower()


async def test_the_core_switch_down_makes_its_dependents_unreachable(
    lab_and_checks: tuple[DemoLab, EventConfig],
) -> None:
    lab, config = lab_and_checks
    dependents = {service.id for service in config.services if "core-switch" in service.depends_on}

    await lab.set_fault(CORE_SWITCH, FaultKind.DOWN)
    results = await run_all(config)

    states = {
        check.id: CheckState.DOWN
        if check.id in results and not results[check.id].ok
        else CheckState.UP
        for check in config.checks
    }
    inputs = [
        ServiceInput(
            id=service.id,
            checks={c.id: states[c.id] for c in config.checks if c.service == service.id},
            depends_on=service.depends_on,
            group=service.redundancy.group if service.redundancy else None,
            primary=service.redundancy is not None and service.redundancy.role == "primary",
        )
        for service in config.services
    ]
    statuses = evaluate_services(inputs)
    assert len(dependents) >= 3
    assert statuses["core-switch"].state is ServiceState.DOWN
    for service_id in dependents:
        assert statuses[service_id].state is ServiceState.UNREACHABLE, service_id
        assert statuses[service_id].caused_by == "core-switch"
    others = {s.id for s in config.services} - dependents - {"core-switch"}
    assert {statuses[s].state for s in others} == {ServiceState.UP}
