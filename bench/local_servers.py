"""Servers the probe benches start on 127.0.0.1: nginx as target, blackbox_exporter to compare.

Each runs as a child process from a configuration in a temporary directory, pinned
to a core with ``taskset``, and is stopped (SIGTERM, then SIGKILL) on leaving.
Nothing listens anywhere but 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path

HEALTH_PATH = "/health"
HEALTH_BODY = '{"status":"ok","service":"bench"}'
_START_TIMEOUT_SECONDS = 10.0
_STOP_TIMEOUT_SECONDS = 5.0
_NGINX_CANDIDATES = ("nginx", "/usr/sbin/nginx")
_BLACKBOX_CANDIDATES = ("prometheus-blackbox-exporter", "blackbox_exporter")


class MissingTool(RuntimeError):
    """A prerequisite (nginx, blackbox_exporter) is not installed: the bench is skipped."""


@dataclass(frozen=True, slots=True)
class RunningServer:
    pid: int
    ports: tuple[int, ...]

    def urls(self, path: str = HEALTH_PATH) -> list[str]:
        return [f"http://127.0.0.1:{port}{path}" for port in self.ports]


def find_tool(candidates: Sequence[str], package: str) -> str:
    for candidate in candidates:
        found = shutil.which(candidate)
        if found is not None:
            return found
    raise MissingTool(f"{candidates[0]} is not installed (Debian: apt-get install -y {package})")


def free_ports(count: int) -> tuple[int, ...]:
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return tuple(int(sock.getsockname()[1]) for sock in sockets)
    finally:
        for sock in sockets:
            sock.close()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (its threads included), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
    # After the command name: state is field 3, utime field 14 and stime field 15 (1-based).
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


def pinned(core: int | None, command: list[str]) -> list[str]:
    """``command`` run on one core through taskset, when a core is given and taskset exists."""
    taskset = shutil.which("taskset")
    if core is None or taskset is None:
        return command
    return [taskset, "-c", str(core), *command]


@contextlib.asynccontextmanager
async def nginx(*, ports: int, core: int | None) -> AsyncIterator[RunningServer]:
    """nginx answering ``GET /health`` with a small JSON body on ``ports`` free ports."""
    binary = find_tool(_NGINX_CANDIDATES, "nginx-light")
    chosen = free_ports(ports)
    with tempfile.TemporaryDirectory(prefix="garrison-bench-nginx-") as directory:
        config = Path(directory) / "nginx.conf"
        config.write_text(_nginx_config(Path(directory), chosen), encoding="utf-8")
        (Path(directory) / "temp").mkdir()
        command = pinned(core, [binary, "-p", directory, "-c", str(config), "-e", "stderr"])
        async with _process(command, chosen) as pid:
            yield RunningServer(pid=pid, ports=chosen)


@contextlib.asynccontextmanager
async def blackbox_exporter(*, core: int | None) -> AsyncIterator[RunningServer]:
    """blackbox_exporter with an ``http_2xx`` module, listening on one free port."""
    binary = find_tool(_BLACKBOX_CANDIDATES, "prometheus-blackbox-exporter")
    (port,) = free_ports(1)
    with tempfile.TemporaryDirectory(prefix="garrison-bench-blackbox-") as directory:
        config = Path(directory) / "blackbox.yml"
        config.write_text(_BLACKBOX_CONFIG, encoding="utf-8")
        command = pinned(
            core,
            [
                binary,
                f"--config.file={config}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--log.level=error",
            ],
        )
        async with _process(command, (port,)) as pid:
            yield RunningServer(pid=pid, ports=(port,))


@contextlib.asynccontextmanager
async def _process(command: list[str], ports: Sequence[int]) -> AsyncIterator[int]:
    process = await asyncio.create_subprocess_exec(
        *command,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
    )
    try:
        await _wait_listening(process, ports)
        # taskset execs the server: the pid is the server's own.
        yield process.pid
    finally:
        await _stop(process)


async def _wait_listening(process: asyncio.subprocess.Process, ports: Sequence[int]) -> None:
    deadline = time.monotonic() + _START_TIMEOUT_SECONDS
    pending = list(ports)
    while pending:
        if process.returncode is not None:
            errors = await process.stderr.read() if process.stderr else b""
            raise RuntimeError(f"server exited: {errors.decode(errors='replace')[-2000:]}")
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", pending[0])
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"nothing listens on 127.0.0.1:{pending[0]}") from None
            await asyncio.sleep(0.05)
            continue
        writer.close()
        await writer.wait_closed()
        pending.pop(0)


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), _STOP_TIMEOUT_SECONDS)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await process.wait()


def _nginx_config(directory: Path, ports: Sequence[int]) -> str:
    listens = "\n".join(f"        listen 127.0.0.1:{port} backlog=4096;" for port in ports)
    temp = directory / "temp"
    return f"""daemon off;
master_process on;
worker_processes 1;
pid {directory}/nginx.pid;
error_log stderr error;
events {{
    worker_connections 16384;
}}
http {{
    access_log off;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    # The server closes first, so that its side keeps the TIME_WAIT sockets.
    keepalive_timeout 0;
    server {{
{listens}
        location = {HEALTH_PATH} {{
            default_type application/json;
            return 200 '{HEALTH_BODY}';
        }}
    }}
}}
"""


_BLACKBOX_CONFIG = """modules:
  http_2xx:
    prober: http
    timeout: 5s
    http:
      preferred_ip_protocol: ip4
      ip_protocol_fallback: false
"""
