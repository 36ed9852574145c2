"""What the escalation benchmarks share: a webhook sink, the event file, a `garrison serve`.

The sink is a small HTTP/1.1 server (h11) on 127.0.0.1 that notes when each
notification arrives. The event file has one webhook integration, one policy
paging one person whose only channel is the sink's webhook.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import h11
import httpx
from sqlalchemy import text

from garrison.audit.actor import Actor
from garrison.auth.permissions import Permission, Role
from garrison.auth.tokens import create_token
from garrison.auth.users import create_user
from garrison.runtime.assembly import open_context
from garrison.settings import Settings
from garrison.storage.engine import create_engine
from garrison.storage.migrate import upgrade

INTEGRATION_KEY = "bench-integration-key-0123456789abcdef"
WEBHOOK_SECRET = "bench-webhook-secret-0123456789abcdef"
READY_SECONDS = 60.0
# A PostgreSQL URL to run against instead of SQLite; its public schema is emptied first.
DATABASE_VARIABLE = "BENCH_DATABASE_URL"


@dataclass(slots=True)
class Received:
    at: float  # time.perf_counter()
    wall: float  # time.time(), to compare with the server's timestamps
    document: dict[str, Any]


@dataclass(slots=True)
class WebhookSink:
    received: list[Received] = field(default_factory=list)
    port: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    _server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, backlog=1024)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connection = h11.Connection(h11.SERVER)
        body = b""
        try:
            while True:
                event = connection.next_event()
                if event is h11.NEED_DATA:
                    connection.receive_data(await reader.read(65536))
                elif isinstance(event, h11.Data):
                    body += bytes(event.data)
                elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
                    break
            self.received.append(
                Received(at=time.perf_counter(), wall=time.time(), document=json.loads(body))
            )
            self.changed.set()
            headers = [("content-length", "2"), ("connection", "close")]
            writer.write(connection.send(h11.Response(status_code=200, headers=headers)) or b"")
            writer.write(connection.send(h11.Data(data=b"{}")) or b"")
            writer.write(connection.send(h11.EndOfMessage()) or b"")
            await writer.drain()
        except (h11.RemoteProtocolError, ConnectionError, json.JSONDecodeError):
            pass
        finally:
            writer.close()

    async def wait_for(self, count: int, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                while len(self.received) < count:
                    self.changed.clear()
                    await self.changed.wait()


def event_file(directory: Path, *, sink_port: int) -> Path:
    text = f"""
event:
  id: bench
  name: Escalation bench
  timezone: Asia/Ho_Chi_Minh
  start: 2026-01-01T00:00:00
  end: 2027-12-31T00:00:00
organisation:
  units: [{{id: ops, name: Operations, leader: lead}}]
  people:
    - {{id: responder, name: Responder, unit: ops, role: duty_officer,
       contacts: {{webhook: "http://127.0.0.1:{sink_port}/page"}}}}
    - {{id: lead, name: Lead, unit: ops, role: leader}}
incidents:
  integrations:
    - {{id: bench, name: Bench, kind: webhook, key: {INTEGRATION_KEY},
       rate_limit_per_minute: 100000}}
    - {{id: bench-am, name: Bench AM, kind: alertmanager, key: {INTEGRATION_KEY}-am,
       rate_limit_per_minute: 100000}}
escalation:
  default_policy: page
  policies:
    - id: page
      name: Page the responder
      steps:
        - targets: [{{kind: person, person: responder}}]
          wait_minutes: 60
        - targets: [{{kind: unit_leader, unit: ops}}]
          wait_minutes: 60
notifications:
  channels: [webhook]
  webhook: {{secret: {WEBHOOK_SECRET}}}
"""
    path = directory / "bench-event.yaml"
    path.write_text(text, encoding="utf-8")
    return path


async def admin_token(settings: Settings) -> str:
    async with open_context(settings) as context:
        await upgrade(context.engine)
        now = context.clock.now()
        async with context.sessions() as session:
            user, _ = await create_user(
                session,
                username="bench",
                role=Role.ADMIN,
                display_name=None,
                actor=Actor.system("bench"),
                now=now,
            )
            user.must_change_password = False
            created = await create_token(
                session,
                owner=user,
                name="bench",
                scopes=frozenset(Permission),
                granted=frozenset(Permission),
                expires_at=now + timedelta(hours=2),
                actor=Actor.system("bench"),
                now=now,
            )
            await session.commit()
    return created.secret


def thread_times(pid: int) -> str:
    """Each thread of a process with its CPU seconds so far, one per line."""
    ticks = os.sysconf("SC_CLK_TCK")
    lines = []
    for task in sorted(Path(f"/proc/{pid}/task").iterdir()):
        with contextlib.suppress(OSError):
            name, rest = (task / "stat").read_text(encoding="ascii").split("(", 1)[1].rsplit(")", 1)
            fields = rest.split()
            lines.append(f"{task.name}\t{name}\t{(int(fields[11]) + int(fields[12])) / ticks:.2f}")
    return "\n".join(lines) + "\n"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def opened_at(url: str, token: str) -> dict[int, float]:
    """Incident id → when it was opened (Unix time), read through the API."""
    found: dict[int, float] = {}
    before: int | None = None
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as client:
        while True:
            params: dict[str, Any] = {"limit": 500}
            if before is not None:
                params["before_id"] = before
            page = (await client.get("/api/v1/incidents", params=params)).json()
            for incident in page["incidents"]:
                found[int(incident["id"])] = datetime.fromisoformat(
                    incident["opened_at"]
                ).timestamp()
            before = page["next_before_id"]
            if before is None:
                return found


def bench_settings(directory: Path) -> Settings:
    """SQLite in ``directory``, or the database named by ``BENCH_DATABASE_URL`` (emptied)."""
    url = os.environ.get(DATABASE_VARIABLE)
    return Settings(data_dir=directory, database_url=url or None)


async def empty_database(settings: Settings) -> None:
    if settings.is_sqlite:
        return
    engine = create_engine(settings.resolved_database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()


@dataclass(frozen=True, slots=True)
class Served:
    """A running `garrison serve`: its base URL and process id (to read its CPU time)."""

    url: str
    pid: int


@contextlib.asynccontextmanager
async def garrison_serve(directory: Path, config: Path) -> AsyncIterator[str]:
    """`garrison serve` on a free port; yields its base URL once /readyz answers 200."""
    async with garrison_server(directory, config) as served:
        yield served.url


@contextlib.asynccontextmanager
async def garrison_server(directory: Path, config: Path) -> AsyncIterator[Served]:
    """Like :func:`garrison_serve`, yielding the URL and the process id."""
    port = free_port()
    database = (
        ["--database-url", os.environ[DATABASE_VARIABLE]]
        if os.environ.get(DATABASE_VARIABLE)
        else []
    )
    # BENCH_SERVE_LOG=path keeps the server's warnings and errors.
    log_path = os.environ.get("BENCH_SERVE_LOG")
    log = open(log_path, "ab") if log_path else asyncio.subprocess.DEVNULL  # noqa: SIM115, ASYNC230
    # BENCH_SERVE_PROFILE=path profiles the server's event loop thread (bench.profile_serve)
    # and notes every thread's CPU time in path.threads before stopping it.
    profile = os.environ.get("BENCH_SERVE_PROFILE")
    module = ["bench.profile_serve", profile] if profile else ["garrison"]
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        *module,
        "--log-level",
        "WARNING",
        "--data-dir",
        str(directory),
        *database,
        "serve",
        "--config",
        str(config),
        "--port",
        str(port),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=log,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=url) as client, asyncio.timeout(READY_SECONDS):
            while True:
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get("/readyz")).status_code == 200:
                        break
                await asyncio.sleep(0.1)
        yield Served(url=url, pid=process.pid)
    finally:
        if profile:
            note = Path(profile + ".threads")
            await asyncio.to_thread(note.write_text, thread_times(process.pid), encoding="utf-8")
        process.terminate()
        await process.wait()
        if not isinstance(log, int):
            log.close()
