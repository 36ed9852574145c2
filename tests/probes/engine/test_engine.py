"""The engine's judgement in memory: locations and quorum, maintenance flags, pausing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from garrison.probes.engine import ProbeEngine, RestoredCheck
from garrison.probes.maintenance import MaintenanceCalendar, Window
from garrison.probes.plan import ProbePlan
from garrison.probes.states import CheckState, ServiceState
from tests.probes.engine.factories import http_check, make_config, result, service

T0 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


def engine_for(
    *, quorum: int = 1, windows: tuple[Window, ...] = (), fail_after: int = 1
) -> ProbeEngine:
    config = make_config(
        services=[service("portal")],
        checks=[
            http_check(
                "portal-http",
                service="portal",
                locations=["local", "hanoi", "danang"],
                fail_after=fail_after,
            )
        ],
        probes={"down_quorum": {"portal": quorum}},
    )
    plan = ProbePlan.from_config(config)
    return ProbeEngine(plan, calendar=MaintenanceCalendar(windows, plan.zone), now=T0)


def service_state(engine: ProbeEngine) -> ServiceState:
    return engine.service_statuses["portal"].state


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_down_needs_the_quorum_of_locations() -> None:
    engine = engine_for(quorum=2)
    for location in ("local", "hanoi", "danang"):
        engine.observe("portal-http", result(True, at(0), location=location))
    assert engine.check_states["portal-http"] == CheckState.UP
    # One location sees it down: a local problem, not an outage.
    judged = engine.observe("portal-http", result(False, at(10), location="hanoi"))
    assert judged.checks == []
    assert engine.check_states["portal-http"] == CheckState.UP
    judged = engine.observe("portal-http", result(False, at(11), location="danang"))
    (moved,) = judged.checks
    assert (moved.previous, moved.current) == (CheckState.UP, CheckState.DOWN)
    assert moved.evidence[0].location == "danang"
    # Services are judged once for all the check changes so far.
    assert judged.services == []
    (service_moved,) = engine.settle().services
    assert service_moved.status.state == ServiceState.DOWN
    assert service_moved.evidence == moved.evidence
    assert service_moved.at == at(11)
    assert engine.settle().services == []


def test_results_from_unknown_locations_are_ignored() -> None:
    engine = engine_for()
    assert engine.observe("portal-http", result(False, at(0), location="mars")).checks == []
    assert engine.observe("nope", result(False, at(0))).checks == []


def test_a_check_in_maintenance_is_flagged_and_ignored_by_its_service() -> None:
    window = Window(
        id="swap",
        services=frozenset(),
        checks=frozenset({"portal-http"}),
        start=at(60),
        end=at(120),
    )
    engine = engine_for(windows=(window,))
    engine.observe("portal-http", result(True, at(0)))
    engine.settle()
    judged = engine.refresh_maintenance(at(60))
    (flag,) = judged.checks
    assert (flag.history_only, flag.in_maintenance) == (True, True)
    assert service_state(engine) == ServiceState.MAINTENANCE
    failed = engine.observe("portal-http", result(False, at(70)))
    assert failed.checks[0].in_maintenance is True
    engine.settle()
    assert service_state(engine) == ServiceState.MAINTENANCE
    assert engine.service_statuses["portal"].measured == ServiceState.DOWN
    ended = engine.refresh_maintenance(at(120))
    assert [c.in_maintenance for c in ended.checks] == [False]
    assert service_state(engine) == ServiceState.DOWN


def test_pausing_and_resuming() -> None:
    engine = engine_for()
    engine.observe("portal-http", result(True, at(0)))
    engine.settle()
    paused = engine.set_paused("portal-http", paused=True, at=at(5), reason="swap")
    assert [(c.previous, c.current) for c in paused.checks] == [(CheckState.UP, CheckState.PAUSED)]
    assert engine.service_statuses["portal"].state == ServiceState.UNKNOWN
    assert engine.observe("portal-http", result(False, at(6))).checks == []
    assert engine.set_paused("portal-http", paused=True, at=at(7), reason="").checks == []
    resumed = engine.set_paused("portal-http", paused=False, at=at(8), reason="done")
    assert [c.current for c in resumed.checks] == [CheckState.UNKNOWN]


def test_restored_states_are_kept() -> None:
    config = make_config(
        services=[service("portal")], checks=[http_check("portal-http", service="portal")]
    )
    plan = ProbePlan.from_config(config)
    engine = ProbeEngine(
        plan,
        calendar=MaintenanceCalendar((), plan.zone),
        now=T0,
        restored_checks={"portal-http": RestoredCheck(CheckState.DOWN, T0, paused=False)},
    )
    assert engine.check_states["portal-http"] == CheckState.DOWN
    assert [change.status.state for change in engine.startup] == [ServiceState.DOWN]
