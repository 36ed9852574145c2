"""The engine end to end on a manual clock: results judged, stored, published with evidence."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from prometheus_client import generate_latest
from sqlalchemy import func, select

from garrison.config import EventConfig
from garrison.probes.commands import CheckPauseChanged, CheckRunRequested, HeartbeatReceived
from garrison.probes.models import (
    CheckStateRecord,
    ResultRecord,
    RollupRecord,
    ServiceStateRecord,
    StateChangeRecord,
)
from garrison.probes.scheduler import next_slot
from garrison.probes.worker import ProbeWorker
from garrison.runtime.context import AppContext
from tests.probes.engine.factories import (
    WAIT_SECONDS,
    EventRecorder,
    ScriptedRunner,
    advance_to,
    clock_of,
    heartbeat_check,
    http_check,
    make_config,
    running_engine,
    service,
)


def portal_config(**check_options: object) -> EventConfig:
    return make_config(
        services=[service("switch"), service("portal", depends_on=["switch"])],
        checks=[
            http_check("switch-ping", service="switch", interval=10, timeout=5),
            http_check("portal-http", service="portal", interval=10, timeout=5, **check_options),
        ],
    )


async def run_slots(
    context: AppContext, worker: ProbeWorker, check_id: str, slots: int, *, written: int
) -> None:
    """Advance slot by slot of ``check_id`` (other checks run on the way); wait for storage."""
    clock = clock_of(context)
    check = worker.plan.checks[check_id]
    end = clock.now()
    for _ in range(slots):
        end = next_slot(check, end)
    await run_until(context, worker, end)
    assert worker.live is not None
    async with asyncio.timeout(WAIT_SECONDS):
        await worker.live.writer.wait_written(written)
        await worker.flush()


async def run_until(context: AppContext, worker: ProbeWorker, end: datetime) -> None:
    """Move the clock from slot to slot of every check up to ``end``, waiting for each run."""
    clock = clock_of(context)
    runner = worker.runner
    assert isinstance(runner, ScriptedRunner)
    checks = list(worker.plan.checks.values())
    while True:
        slots = {check.id: next_slot(check, clock.now()) for check in checks}
        upcoming = min(slots.values())
        if upcoming > end:
            break
        due = [check_id for check_id, slot in slots.items() if slot == upcoming]
        expected = {check_id: len(runner.calls_of(check_id)) + 1 for check_id in due}
        await advance_to(clock, upcoming)
        for check_id, count in expected.items():
            await runner.wait_for_calls(check_id, count)
    if clock.now() < end:
        await advance_to(clock, end)


async def test_confirmed_down_is_stored_and_published_with_evidence(context: AppContext) -> None:
    runner = ScriptedRunner()
    runner.script("portal-http", True, False, False, then=False)
    recorder = EventRecorder(context)
    config = make_config(
        services=[service("portal")],
        checks=[http_check("portal-http", service="portal", interval=10, timeout=5)],
    )
    async with running_engine(context, config, runner) as worker:
        await run_slots(context, worker, "portal-http", 1, written=1)
        # Services are judged once per batch: wait for UP before the failures come.
        await recorder.wait_for(lambda: len(recorder.service_moves("portal")) == 1)
        await run_slots(context, worker, "portal-http", 2, written=3)
        await recorder.wait_for(lambda: len(recorder.service_moves("portal")) == 2)
    await recorder.close()
    assert recorder.check_moves("portal-http") == [("unknown", "up"), ("up", "down")]
    down = recorder.checks[-1]
    assert down.service_id == "portal"
    assert [item["ok"] for item in down.evidence] == [False, False]
    assert str(down.evidence[0]["started_at"]) > str(down.evidence[1]["started_at"])
    assert recorder.service_moves("portal") == [("unknown", "up"), ("up", "down")]
    assert recorder.services[-1].checks == {"portal-http": "down"}
    assert recorder.services[-1].evidence == down.evidence
    async with context.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ResultRecord)) == 3
        state = await session.get(CheckStateRecord, "portal-http")
        assert state is not None
        assert (state.state, state.last_ok) == ("down", False)
        service_state = await session.get(ServiceStateRecord, "portal")
        assert service_state is not None
        assert service_state.state == "down"
        history = (
            await session.scalars(select(StateChangeRecord).order_by(StateChangeRecord.id))
        ).all()
        assert [(h.subject_kind, h.previous, h.current) for h in history] == [
            ("check", "unknown", "up"),
            ("service", "unknown", "up"),
            ("check", "up", "down"),
            ("service", "up", "down"),
        ]
        rollups = (await session.scalars(select(RollupRecord))).all()
        assert sum(r.count for r in rollups) == 3
        assert sum(r.failures for r in rollups) == 2


async def test_a_dependency_outage_makes_dependents_unreachable(context: AppContext) -> None:
    runner = ScriptedRunner(default=False)
    recorder = EventRecorder(context)
    async with running_engine(context, portal_config(), runner) as worker:
        await run_slots(context, worker, "portal-http", 2, written=4)
        await recorder.wait_for(
            lambda: ("unknown", "unreachable") in recorder.service_moves("portal")
        )
    await recorder.close()
    assert recorder.service_moves("switch") == [("unknown", "down")]
    portal = [e for e in recorder.services if e.service_id == "portal"][-1]
    assert (portal.current, portal.caused_by) == ("unreachable", "switch")


async def test_maintenance_is_marked_and_measuring_goes_on(context: AppContext) -> None:
    start = context.clock.now() + timedelta(seconds=30)
    config = make_config(
        services=[service("portal")],
        checks=[http_check("portal-http", service="portal", interval=10, timeout=5)],
        maintenance=[
            {
                "id": "upgrade",
                "services": ["portal"],
                "start": start.isoformat(),
                "end": (start + timedelta(minutes=5)).isoformat(),
            }
        ],
    )
    runner = ScriptedRunner()
    recorder = EventRecorder(context)
    async with running_engine(context, config, runner) as worker:
        await run_slots(context, worker, "portal-http", 1, written=1)
        await recorder.wait_for(lambda: len(recorder.service_moves("portal")) == 1)
        await run_until(context, worker, start + timedelta(seconds=1))
        await recorder.wait_for(lambda: len(recorder.service_moves("portal")) == 2)
        passed = len(runner.calls)
        runner.default = False
        await run_slots(context, worker, "portal-http", 3, written=passed + 3)
        # Failing inside the window: the check goes DOWN, the service stays in MAINTENANCE.
        assert worker.live is not None
        assert worker.live.engine.check_states["portal-http"] == "down"
        await recorder.wait_for(lambda: ("up", "down") in recorder.check_moves("portal-http"))
    await recorder.close()
    assert [(e.current, e.in_maintenance) for e in recorder.checks] == [
        ("up", False),
        ("down", True),
    ]
    assert recorder.service_moves("portal") == [("unknown", "up"), ("up", "maintenance")]
    assert recorder.services[-1].in_maintenance is True
    async with context.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ResultRecord)) == passed + 3
        stored = await session.get(ServiceStateRecord, "portal")
        assert stored is not None
        assert (stored.state, stored.measured, stored.in_maintenance) == (
            "maintenance",
            "down",
            True,
        )


async def test_pause_run_now_and_heartbeat_commands(context: AppContext) -> None:
    config = make_config(
        services=[service("jobs")],
        checks=[
            http_check("portal-http", interval=60, timeout=5),
            heartbeat_check("backup-job", service="jobs", interval=60, fail_after=2),
        ],
    )
    runner = ScriptedRunner()
    recorder = EventRecorder(context)
    async with running_engine(context, config, runner) as worker:
        assert worker.live is not None
        now = context.clock.now()
        await context.bus.publish(CheckRunRequested(occurred_at=now, check_id="portal-http"))
        await recorder.wait_for(lambda: ("unknown", "up") in recorder.check_moves("portal-http"))
        await context.bus.publish(
            CheckPauseChanged(occurred_at=now, check_id="portal-http", paused=True, reason="work")
        )
        await recorder.wait_for(lambda: ("up", "paused") in recorder.check_moves("portal-http"))
        # A beat is a passing result at once.
        await context.bus.publish(HeartbeatReceived(occurred_at=now, check_id="backup-job"))
        await recorder.wait_for(lambda: ("unknown", "up") in recorder.check_moves("backup-job"))
        # Then silence: two runs without a beat are DOWN, after about interval x fail_after.
        clock = clock_of(context)
        check = worker.plan.checks["backup-job"]
        await advance_to(clock, next_slot(check, now + timedelta(seconds=61)))
        await advance_to(clock, next_slot(check, clock.now()))
        await recorder.wait_for(lambda: ("up", "down") in recorder.check_moves("backup-job"))
    await recorder.close()
    down = [e for e in recorder.checks if e.check_id == "backup-job"][-1]
    assert "no heartbeat" in str(down.reason)
    # The paused check was not run again.
    assert len(runner.calls_of("portal-http")) == 1


async def test_a_restart_keeps_the_confirmed_state_and_does_not_alert_again(
    context: AppContext,
) -> None:
    runner = ScriptedRunner(default=False)
    config = make_config(
        services=[service("portal")],
        checks=[http_check("portal-http", service="portal", interval=10, timeout=5)],
    )
    async with running_engine(context, config, runner) as worker:
        await run_slots(context, worker, "portal-http", 2, written=2)
    recorder = EventRecorder(context)
    async with running_engine(context, config, runner, metrics=worker.metrics) as worker:
        assert worker.live is not None
        assert worker.live.engine.check_states["portal-http"] == "down"
        await run_slots(context, worker, "portal-http", 2, written=2)
    await recorder.close()
    assert recorder.checks == []
    assert recorder.services == []


async def test_metrics_are_exported(context: AppContext) -> None:
    runner = ScriptedRunner()
    runner.details["cert"] = {"days_left": 12}
    config = make_config(checks=[http_check("cert", interval=10, timeout=5)])
    async with running_engine(context, config, runner) as worker:
        await run_slots(context, worker, "cert", 2, written=2)
    text = generate_latest(context.registry).decode()
    assert 'garrison_probe_up{check="cert"} 1.0' in text
    assert 'garrison_probe_latency_seconds{check="cert"} 0.0125' in text
    assert 'garrison_probe_certificate_expiry_days{check="cert"} 12.0' in text
    assert 'garrison_probe_runs_total{type="http"} 2.0' in text
    assert "garrison_probe_schedule_lag_seconds_count 2.0" in text
    assert "garrison_probe_queue_depth 0.0" in text
