"""Service states from check states: the table of rules in service_state.py."""

from __future__ import annotations

import pytest

from garrison.probes.service_state import ServiceInput, evaluate_services
from garrison.probes.states import CheckState, ServiceState

UP, DOWN, FLAPPING, UNKNOWN, PAUSED = (
    CheckState.UP,
    CheckState.DOWN,
    CheckState.FLAPPING,
    CheckState.UNKNOWN,
    CheckState.PAUSED,
)


def one(checks: dict[str, CheckState], **options: object) -> ServiceState:
    statuses = evaluate_services([ServiceInput(id="svc", checks=checks, **options)])  # type: ignore[arg-type]
    return statuses["svc"].state


@pytest.mark.parametrize(
    ("checks", "expected"),
    [
        ({}, ServiceState.UNKNOWN),
        ({"a": UNKNOWN}, ServiceState.UNKNOWN),
        ({"a": UP}, ServiceState.UP),
        ({"a": UP, "b": UNKNOWN}, ServiceState.UP),
        ({"a": UP, "b": UP}, ServiceState.UP),
        ({"a": UP, "b": DOWN}, ServiceState.DEGRADED),
        ({"a": DOWN, "b": DOWN}, ServiceState.DOWN),
        ({"a": DOWN, "b": UNKNOWN}, ServiceState.DOWN),
        ({"a": UP, "b": FLAPPING}, ServiceState.DEGRADED),
        ({"a": FLAPPING}, ServiceState.DEGRADED),
        ({"a": DOWN, "b": PAUSED}, ServiceState.DOWN),
        ({"a": PAUSED}, ServiceState.UNKNOWN),
    ],
)
def test_own_checks(checks: dict[str, CheckState], expected: ServiceState) -> None:
    assert one(checks) == expected


def uplinks(
    primary: CheckState, backup: CheckState, portal: CheckState
) -> dict[str, tuple[ServiceState, str | None]]:
    services = [
        ServiceInput(id="uplink-a", checks={"a": primary}, group="uplink", primary=True),
        ServiceInput(id="uplink-b", checks={"b": backup}, group="uplink"),
        ServiceInput(id="portal", checks={"p": portal}, depends_on=("uplink-a",)),
    ]
    return {
        service_id: (status.state, status.caused_by)
        for service_id, status in evaluate_services(services).items()
    }


def test_primary_down_backup_up_primary_down_backup_degraded_dependents_reachable() -> None:
    # The portal's own check still passes: it is served over the backup.
    assert uplinks(DOWN, UP, UP) == {
        "uplink-a": (ServiceState.DOWN, None),
        "uplink-b": (ServiceState.DEGRADED, None),
        "portal": (ServiceState.UP, None),
    }
    # Even if the portal fails too, the group still serves: its failure is its own.
    assert uplinks(DOWN, UP, DOWN)["portal"] == (ServiceState.DOWN, None)


def test_backup_down_primary_serving_reports_lost_margin() -> None:
    states = uplinks(UP, DOWN, UP)
    assert states["uplink-a"] == (ServiceState.DEGRADED, None)
    assert states["uplink-b"] == (ServiceState.DOWN, None)
    assert states["portal"] == (ServiceState.UP, None)


def test_both_members_down_dependents_unreachable_blamed_on_the_primary() -> None:
    assert uplinks(DOWN, DOWN, DOWN) == {
        "uplink-a": (ServiceState.DOWN, None),
        "uplink-b": (ServiceState.DOWN, None),
        "portal": (ServiceState.UNREACHABLE, "uplink-a"),
    }


def test_redundancy_reason_says_margin_lost() -> None:
    services = [
        ServiceInput(id="a", checks={"a": DOWN}, group="g", primary=True),
        ServiceInput(id="b", checks={"b": UP}, group="g"),
    ]
    status = evaluate_services(services)["b"]
    assert "redundancy lost" in status.reason
    assert "a" in status.reason


def test_dependency_chain_reports_the_root_cause() -> None:
    services = [
        ServiceInput(id="website", checks={"w": DOWN}, depends_on=("dns",)),
        ServiceInput(id="dns", checks={"d": DOWN}, depends_on=("switch",)),
        ServiceInput(id="switch", checks={"s": DOWN}),
        ServiceInput(id="mail", checks={"m": UP}, depends_on=("dns",)),
    ]
    statuses = evaluate_services(services)
    assert statuses["switch"].state == ServiceState.DOWN
    assert (statuses["dns"].state, statuses["dns"].caused_by) == (
        ServiceState.UNREACHABLE,
        "switch",
    )
    assert (statuses["website"].state, statuses["website"].caused_by) == (
        ServiceState.UNREACHABLE,
        "switch",
    )
    # Still demonstrably serving: not hidden behind the outage.
    assert statuses["mail"].state == ServiceState.UP


def test_unknown_dependent_of_a_down_service_is_unreachable() -> None:
    services = [
        ServiceInput(id="portal", checks={"p": UNKNOWN}, depends_on=("switch",)),
        ServiceInput(id="switch", checks={"s": DOWN}),
    ]
    assert evaluate_services(services)["portal"].state == ServiceState.UNREACHABLE


def test_maintenance_hides_the_state_but_keeps_the_measure() -> None:
    services = [
        ServiceInput(id="switch", checks={"s": DOWN}, in_maintenance=True),
        ServiceInput(id="portal", checks={"p": DOWN}, depends_on=("switch",)),
    ]
    statuses = evaluate_services(services)
    switch = statuses["switch"]
    assert (switch.state, switch.measured, switch.in_maintenance) == (
        ServiceState.MAINTENANCE,
        ServiceState.DOWN,
        True,
    )
    # Its dependent's failure is the planned work's doing: no alert of its own.
    assert (statuses["portal"].state, statuses["portal"].caused_by) == (
        ServiceState.UNREACHABLE,
        "switch",
    )


def test_checks_in_maintenance_do_not_count() -> None:
    assert one({"a": UP, "b": DOWN}, checks_in_maintenance=frozenset({"b"})) == ServiceState.UP
    assert (
        one({"a": DOWN, "b": DOWN}, checks_in_maintenance=frozenset({"a", "b"}))
        == ServiceState.MAINTENANCE
    )


def test_a_dependency_on_an_unknown_id_is_ignored() -> None:
    assert one({"a": DOWN}, depends_on=("ghost",)) == ServiceState.DOWN
