"""10,000 alerts in 10 seconds: grouped right, none lost, the API still quick, every group paged.

Prometheus Alertmanager posts the flood to a real `garrison serve`: ``groups``
notification groups, each arriving in several posts of ``per_post`` alerts. At
the end there must be exactly one incident per group holding all of its alerts,
and one page per incident at the webhook sink. Meanwhile a reader lists incidents
over the API; its latency is measured. Run:
``python -m bench.alert_flood [alerts] [seconds] [groups]``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.escalation_support import (
    INTEGRATION_KEY,
    WebhookSink,
    admin_token,
    bench_settings,
    empty_database,
    event_file,
    garrison_server,
)
from bench.local_servers import cpu_seconds
from bench.results import Measurement, percentile

ALERTS = 10_000
SECONDS = 10
GROUPS = 50
PER_POST = 100
READ_EVERY = 0.05
DRAIN_SECONDS = 120.0
RETRIES = 5
RETRY_SECONDS = 1.0


async def run(
    alerts: int = ALERTS, seconds: int = SECONDS, groups: int = GROUPS
) -> list[Measurement]:
    sink = WebhookSink()
    await sink.start()
    try:
        with tempfile.TemporaryDirectory(prefix="garrison-bench-") as directory:
            config = event_file(Path(directory), sink_port=sink.port)
            settings = bench_settings(Path(directory))
            await empty_database(settings)
            token = await admin_token(settings)
            async with garrison_server(Path(directory), config) as served:
                return await _measure(
                    served.url,
                    served.pid,
                    token,
                    sink,
                    alerts=alerts,
                    seconds=seconds,
                    groups=groups,
                )
    finally:
        await sink.stop()


def _post(group: int, first: int, count: int) -> dict[str, Any]:
    alerts = [
        {
            "status": "firing",
            "labels": {"alertname": "LinkDown", "instance": f"link-{group}-{index}"},
            "annotations": {"summary": f"link {group}/{index} down"},
            "startsAt": "2026-06-01T08:00:00Z",
            "fingerprint": f"{group:04d}{index:06d}",
        }
        for index in range(first, first + count)
    ]
    return {
        "version": "4",
        "groupKey": f'{{}}:{{group="{group}"}}',
        "status": "firing",
        "receiver": "garrison",
        "groupLabels": {"group": str(group)},
        "commonLabels": {"alertname": "LinkDown"},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example",
        "alerts": alerts,
    }


async def _measure(
    url: str,
    pid: int,
    token: str,
    sink: WebhookSink,
    *,
    alerts: int,
    seconds: int,
    groups: int,
) -> list[Measurement]:
    per_group = alerts // groups
    posts = [
        _post(group, first, min(PER_POST, per_group - first))
        for first in range(0, per_group, PER_POST)
        for group in range(groups)
    ]
    reads: list[float] = []
    rejected = 0
    statuses: dict[int, int] = {}
    flooding = True
    key = {"Authorization": f"Bearer {INTEGRATION_KEY}-am"}
    reader_headers = {"Authorization": f"Bearer {token}"}
    async with (
        httpx.AsyncClient(base_url=url, headers=key, timeout=120) as sender,
        httpx.AsyncClient(base_url=url, headers=reader_headers, timeout=60) as reader,
    ):

        async def read_meanwhile() -> None:
            while flooding:
                started = time.perf_counter()
                answer = await reader.get("/api/v1/incidents", params={"limit": 50})
                reads.append(time.perf_counter() - started)
                answer.raise_for_status()
                await asyncio.sleep(READ_EVERY)

        async def send(body: dict[str, Any]) -> None:
            # Alertmanager retries a failed webhook post; so does this sender.
            nonlocal rejected
            for attempt in range(RETRIES):
                try:
                    answer = await sender.post("/api/v1/integrations/alertmanager", json=body)
                    if answer.status_code == 200:
                        return
                    statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
                except httpx.TimeoutException:
                    statuses[0] = statuses.get(0, 0) + 1
                await asyncio.sleep(RETRY_SECONDS * (attempt + 1))
            rejected += 1

        load = os.getloadavg()[0]
        cpu_before = cpu_seconds(pid)
        reading = asyncio.create_task(read_meanwhile())
        started = time.perf_counter()
        tasks = []
        for index, body in enumerate(posts):
            delay = started + index * seconds / len(posts) - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(send(body)))
        await asyncio.gather(*tasks)
        accepted_after = time.perf_counter() - started
        # The server's CPU until the last post was stored: the reads meanwhile included.
        cpu = cpu_seconds(pid) - cpu_before
        await sink.wait_for(groups, DRAIN_SECONDS)
        flooding = False
        with contextlib.suppress(httpx.HTTPError):
            await reading
        incidents = await _incidents(reader)
    name = "alert_flood"
    return [
        Measurement(name, "load average (1 min) at start", load, ""),
        Measurement(name, f"alerts posted over {seconds} s", alerts, "alerts"),
        Measurement(name, "all posts accepted after", accepted_after, "s"),
        Measurement(name, "server CPU per alert until accepted", cpu * 1000 / alerts, "ms"),
        Measurement(name, "posts retried", sum(statuses.values()), "posts"),
        *(
            Measurement(name, f"  answered {status or 'timeout'}", count, "posts")
            for status, count in sorted(statuses.items())
        ),
        Measurement(name, "posts given up after retries", rejected, "posts", "0"),
        Measurement(name, "incidents (one per group)", len(incidents), "incidents", f"= {groups}"),
        Measurement(
            name,
            "alerts kept in incidents",
            sum(i["alerts"] for i in incidents),
            "alerts",
            f"= {alerts}",
        ),
        Measurement(name, "incidents paged", len(sink.received), "pages", f"= {groups}"),
        Measurement(name, "API reads during the flood", len(reads), "requests"),
        Measurement(name, "API read p50", percentile(reads, 0.5) * 1000, "ms"),
        Measurement(name, "API read p99", percentile(reads, 0.99) * 1000, "ms", "< 200"),
    ]


async def _incidents(reader: httpx.AsyncClient) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    before: int | None = None
    while True:
        params: dict[str, Any] = {"limit": 500}
        if before is not None:
            params["before_id"] = before
        page = (await reader.get("/api/v1/incidents", params=params)).json()
        found += page["incidents"]
        before = page["next_before_id"]
        if before is None:
            return found


if __name__ == "__main__":
    from bench.results import print_table

    arguments = [int(value) for value in sys.argv[1:4]]
    print_table(asyncio.run(run(*arguments)))
