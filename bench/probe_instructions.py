"""The probe engine's own work per check, in instructions (stable on a shared machine).

The whole engine (``ProbeWorker``: scheduler, HTTP runner, assertions, judgement,
batch writer to SQLite) runs ``checks`` HTTP checks on a :class:`ManualClock`
against a minimal HTTP server in another process on 127.0.0.1. Each round moves
the clock by one interval, so every check runs exactly once, and waits until the
writer has stored the round's results. Rounds are identical: the same code runs
the same number of times whatever the machine's load.

Run under callgrind, only the measured rounds are counted (instrumentation is
switched on and off around them with ``callgrind_control``, which also keeps the
start-up fast)::

    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=/tmp/probe.cg \
        .venv/bin/python -m bench.probe_instructions 300 3
    # instructions per check = valgrind's "I refs" / (checks * rounds)

Without valgrind it prints the CPU time per check of the same rounds (noisy).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.probe_http_cpu import _SERVER
from garrison.clock import ManualClock
from garrison.config import EventConfig
from garrison.probes.worker import ProbeWorker
from garrison.runtime import loop
from garrison.runtime.assembly import open_context
from garrison.settings import Settings
from garrison.storage.migrate import upgrade

INTERVAL_SECONDS = 300.0
# Generous: under callgrind a run takes fifty times longer, and it must still pass.
TIMEOUT_SECONDS = 120.0
WARMUP_ROUNDS = 2


def _config(url: str, checks: int) -> EventConfig:
    return EventConfig.model_validate(
        {
            "event": {
                "id": "bench",
                "name": "Probe bench",
                "timezone": "UTC",
                "start": "2026-01-01T00:00:00",
                "end": "2030-01-01T00:00:00",
            },
            "checks": [
                {
                    "id": f"bench-{index:05d}",
                    "type": "http",
                    "url": url,
                    "interval": INTERVAL_SECONDS,
                    "timeout": TIMEOUT_SECONDS,
                    "fail_after": 2,
                    "expect_status": [200],
                    "json_path_equals": {"status": "ok"},
                }
                for index in range(checks)
            ],
        }
    )


def _callgrind(switch: str) -> None:
    """Switch callgrind's collection on or off for this process (nothing outside valgrind)."""
    if (
        "valgrind" not in os.environ.get("LD_PRELOAD", "")
        or shutil.which("callgrind_control") is None
    ):
        return
    subprocess.run(
        ["callgrind_control", "-i", switch, str(os.getpid())],
        check=True,
        stdout=subprocess.DEVNULL,
    )


async def _rounds(url: str, checks: int, rounds: int) -> dict[str, float]:
    clock = ManualClock(datetime(2026, 6, 1, 8, 0, 0, tzinfo=UTC))
    with tempfile.TemporaryDirectory(prefix="garrison-bench-instr-") as directory:
        settings = Settings(data_dir=Path(directory))
        async with open_context(settings, clock=clock) as context:
            await upgrade(context.engine)
            worker = ProbeWorker(context, config=_config(url, checks))
            started = asyncio.Event()
            task = asyncio.create_task(worker.run(started.set))
            await started.wait()
            assert worker.live is not None
            writer = worker.live.writer
            expected = 0
            cpu = 0.0
            for index in range(WARMUP_ROUNDS + rounds):
                measured = index >= WARMUP_ROUNDS
                if measured:
                    _callgrind("on")
                    before = time.process_time()
                clock.advance(INTERVAL_SECONDS)
                expected += checks
                await writer.wait_written(expected)
                if measured:
                    cpu += time.process_time() - before
                    _callgrind("off")
            failed = sum(1 for value in worker.metrics.readings.up.values() if value == 0.0)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    return {
        "checks": checks,
        "rounds": rounds,
        "runs": checks * rounds,
        "failing_checks": failed,
        "cpu_ms_per_check": cpu * 1000 / (checks * rounds),
    }


def main(arguments: list[str]) -> int:
    checks = int(arguments[0]) if arguments else 500
    rounds = int(arguments[1]) if len(arguments) > 1 else 4
    server = subprocess.Popen([sys.executable, "-c", _SERVER], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
        stats = loop.run(_rounds(f"http://127.0.0.1:{port}/health", checks, rounds))
    finally:
        server.terminate()
        server.wait(timeout=10)
    stats["event_loop"] = loop.loop_name()  # type: ignore[assignment]
    print(json.dumps(stats))
    return 1 if stats["failing_checks"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
