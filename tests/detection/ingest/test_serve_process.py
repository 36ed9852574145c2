"""`garrison serve` with a detection section: the ingest worker listens and counts."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import httpx
import pytest

from garrison.settings import Settings
from tests.process import free_port, running_garrison, wait_ready

CONFIG = """\
event:
  id: summit
  name: Summit
  timezone: Asia/Ho_Chi_Minh
  start: 2026-06-01T08:00:00
  end: 2026-06-09T18:00:00
detection:
  sources:
    - name: edge-syslog
      type: syslog_udp
      port: {port}
      logsource: {{product: linux}}
"""


@pytest.mark.slow
async def test_serve_starts_the_ingest_worker(
    settings: Settings, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    config = tmp_path / "event.yaml"
    config.write_text(CONFIG.format(port=port), encoding="utf-8")
    monkeypatch.setenv("GARRISON_METRICS_PUBLIC", "true")
    async with running_garrison(
        data_dir=settings.data_dir,
        database_url=database_url,
        log_path=tmp_path / "serve.log",
        config=config,
    ) as running:
        ready = await wait_ready(running.port)
        assert "ingest" in str(ready)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
            client.sendto(
                b"<38>Jun  1 08:00:00 gw sshd[1]: Invalid user x from 203.0.113.3",
                ("127.0.0.1", port),
            )
        counted = 'garrison_ingest_events_total{source="edge-syslog"} 1.0'
        async with httpx.AsyncClient(base_url=running.url) as client_http, asyncio.timeout(20):
            # A separate process: its metrics are the only signal to wait on.
            while counted not in (await client_http.get("/metrics")).text:  # noqa: ASYNC110
                await asyncio.sleep(0.1)
        running.process.terminate()
        assert await asyncio.wait_for(running.process.wait(), timeout=20) == 0
