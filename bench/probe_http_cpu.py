"""CPU time of one HTTP check run by the probe runner, on loopback.

The target is a minimal HTTP server in another process, so that only the client's
CPU is counted (``time.process_time`` of this process). Run:
``python -m bench.probe_http_cpu [checks] [concurrency]``.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime

from garrison.config.checks import HttpCheck
from garrison.probes.results import RunContext
from garrison.probes.runners import run_check

_SERVER = r"""
import asyncio, sys

BODY = b'{"status": "ok", "service": "bench"}'
ANSWER = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
          + str(len(BODY)).encode() + b"\r\nConnection: close\r\n\r\n" + BODY)

class Answer(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport
        self.buffer = b""
    def data_received(self, data):
        self.buffer += data
        if b"\r\n\r\n" in self.buffer:
            self.transport.write(ANSWER)
            self.transport.close()

async def main():
    server = await asyncio.get_running_loop().create_server(Answer, "127.0.0.1", 0, backlog=4096)
    print(server.sockets[0].getsockname()[1], flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


async def _measure(port: int, checks: int, concurrency: int) -> tuple[float, float, int]:
    check = HttpCheck(
        id="bench",
        type="http",
        url=f"http://127.0.0.1:{port}/health",
        timeout=5,
        json_path_equals={"status": "ok"},
    )
    run = RunContext(location="local", started_at=datetime.now(UTC))
    failures = 0
    semaphore = asyncio.Semaphore(concurrency)

    async def one() -> None:
        nonlocal failures
        async with semaphore:
            result = await run_check(check, run=run)
            if not result.ok:
                failures += 1

    await asyncio.gather(*(one() for _ in range(200)))  # warm up
    failures = 0
    cpu_start, wall_start = time.process_time(), time.perf_counter()
    await asyncio.gather(*(one() for _ in range(checks)))
    return time.process_time() - cpu_start, time.perf_counter() - wall_start, failures


def main(arguments: list[str]) -> int:
    checks = int(arguments[0]) if arguments else 5_000
    concurrency = int(arguments[1]) if len(arguments) > 1 else 100
    server = subprocess.Popen([sys.executable, "-c", _SERVER], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
        cpu, wall, failures = asyncio.run(_measure(port, checks, concurrency))
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(f"{checks} HTTP checks, concurrency {concurrency}, {failures} failed")
    print(f"CPU per check: {cpu / checks * 1000:.3f} ms; wall {wall:.2f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
