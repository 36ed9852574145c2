"""run_check: dispatch by type, heartbeats, the public surface, containment of bugs."""

from __future__ import annotations

import asyncio

import pytest

import garrison.probes.runners as runners
from garrison.config.checks import HeartbeatCheck, HttpCheck, TcpCheck
from garrison.probes.results import RunContext
from garrison.probes.runners import http as http_module
from garrison.probes.runners import run_check, runs_actively
from tests.probes.runners.servers import tcp_server


def test_the_public_surface_is_pinned() -> None:
    assert sorted(runners.__all__) == [
        "ContentComparison",
        "PageSnapshot",
        "baseline_from_json",
        "baseline_from_page",
        "baseline_to_json",
        "compare_with_baseline",
        "extract_page",
        "run_check",
        "runs_actively",
    ]


async def test_a_heartbeat_is_not_run_but_answered(run_context: RunContext) -> None:
    check = HeartbeatCheck(id="backup-job", type="heartbeat")
    assert not runs_actively(check)
    result = await run_check(check, run=run_context)
    assert not result.ok
    assert (
        result.reason == "heartbeat checks are not run by a probe: the engine judges their pushes"
    )
    assert result.details == {"type": "heartbeat", "push": True}


async def test_a_bug_in_a_runner_is_a_failed_result(
    monkeypatch: pytest.MonkeyPatch,
    http_port: int,
    run_context: RunContext,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(*args: object, **kwargs: object) -> list[str]:
        raise ZeroDivisionError("bug")

    monkeypatch.setattr(http_module, "judge_response", broken)
    check = HttpCheck(id="web", type="http", url=f"http://127.0.0.1:{http_port}/ok")
    result = await run_check(check, run=run_context)
    assert not result.ok
    assert result.reason == "the probe itself failed (ZeroDivisionError)"
    assert result.details["internal_error"] is True
    assert "probe web failed unexpectedly" in caplog.text


async def test_cancellation_propagates(run_context: RunContext) -> None:
    connected = asyncio.Event()

    async def waits(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connected.set()
        await asyncio.Event().wait()

    async with tcp_server(waits) as port:
        check = TcpCheck(
            id="svc", type="tcp", host="127.0.0.1", port=port, expect_regex="x", timeout=5
        )
        task = asyncio.create_task(run_check(check, run=run_context))
        await asyncio.wait_for(connected.wait(), 5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_many_checks_at_once_stay_independent(
    http_port: int, run_context: RunContext
) -> None:
    checks = [
        HttpCheck(id=f"web-{n}", type="http", url=f"http://127.0.0.1:{http_port}/ok")
        for n in range(50)
    ]
    results = await asyncio.gather(*(run_check(check, run=run_context) for check in checks))
    assert all(result.ok for result in results)
