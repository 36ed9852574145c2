"""A configuration sync reaches the running engine: the plan is rebuilt, states are kept."""

from __future__ import annotations

from garrison.config import EventConfig
from garrison.probes.commands import ChecksChanged
from garrison.runtime.context import AppContext
from tests.probes.engine.factories import (
    EventRecorder,
    ScriptedRunner,
    http_check,
    make_config,
    running_engine,
    service,
)
from tests.probes.engine.test_worker import portal_config, run_slots


def replanned_config() -> EventConfig:
    # switch-ping removed, portal-http unchanged, dns-query new.
    return make_config(
        services=[service("portal"), service("dns")],
        checks=[
            http_check("portal-http", service="portal", interval=10, timeout=5),
            http_check("dns-query", service="dns", interval=10, timeout=5),
        ],
    )


async def test_checks_changed_rebuilds_the_plan_without_losing_states(
    context: AppContext,
) -> None:
    runner = ScriptedRunner(default=False)
    runner.defaults["switch-ping"] = True
    recorder = EventRecorder(context)
    async with running_engine(context, portal_config(), runner) as worker:
        await run_slots(context, worker, "portal-http", 2, written=4)
        await recorder.wait_for(lambda: ("unknown", "down") in recorder.service_moves("portal"))
        worker.reload = replanned_config
        published = len(recorder.checks)
        await context.bus.publish(ChecksChanged(occurred_at=context.clock.now(), digest="x"))
        # The new service is judged at once: its first state tells the plan was rebuilt.
        await recorder.wait_for(lambda: bool(recorder.service_moves("dns")))
        assert worker.live is not None
        assert worker.live.engine.check_states["portal-http"] == "down"
        assert set(worker.live.engine.check_states) == {"portal-http", "dns-query"}
        switch_runs = len(runner.calls_of("switch-ping"))
        runner.defaults["dns-query"] = True
        written = worker.live.writer.results_written
        await run_slots(context, worker, "dns-query", 1, written=written + 1)
        await recorder.wait_for(lambda: ("unknown", "up") in recorder.check_moves("dns-query"))
    await recorder.close()
    # The check that stays was not announced again; the removed one runs no more.
    assert [e.check_id for e in recorder.checks[published:]] == ["dns-query"]
    assert len(runner.calls_of("switch-ping")) == switch_runs
    assert recorder.service_moves("dns")[-1] == ("unknown", "up")
