"""Signal in → first page received: a real `garrison serve`, the generic webhook integration,
and a webhook sink on 127.0.0.1.

Signals arrive at a steady rate. One in ``new_every`` opens a new incident (a new
key and group); the others repeat alerts already firing, as monitoring traffic
does. The escalation policy pages one person by webhook at once. Latency runs
from just before an incident's first signal is posted to the moment the sink has
its page. Run: ``python -m bench.notify_latency [per_second] [seconds] [new_every]``.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.escalation_support import (
    INTEGRATION_KEY,
    WebhookSink,
    admin_token,
    bench_settings,
    empty_database,
    event_file,
    garrison_server,
    opened_at,
)
from bench.local_servers import cpu_seconds
from bench.results import Measurement, percentile

RATE = 100
SECONDS = 10
NEW_EVERY = 10
DRAIN_SECONDS = 30.0


async def run(
    rate: int = RATE, seconds: int = SECONDS, new_every: int = NEW_EVERY
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
                found = await _measure(
                    served.url, served.pid, sink, rate=rate, seconds=seconds, new_every=new_every
                )
                return found + await _pipeline(served.url, token, sink)
    finally:
        await sink.stop()


async def _measure(
    url: str, pid: int, sink: WebhookSink, *, rate: int, seconds: int, new_every: int
) -> list[Measurement]:
    total = rate * seconds
    incidents = (total + new_every - 1) // new_every
    sent: dict[int, float] = {}
    answered: list[float] = []
    refused = 0
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    headers = {"Authorization": f"Bearer {INTEGRATION_KEY}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits) as client:

        async def signal(index: int) -> None:
            nonlocal refused
            # Signal n opens incident n // new_every, or repeats its alert.
            incident = index // new_every
            body = {
                "key": f"bench-{incident}",
                "group": f"bench-{incident}",
                "summary": f"bench signal {incident}",
                "severity": "sev2",
            }
            started = time.perf_counter()
            if index % new_every == 0:
                sent[incident] = started
            try:
                response = await client.post("/api/v1/integrations/webhook", json=body, timeout=30)
            except httpx.HTTPError:
                refused += 1
                return
            answered.append(time.perf_counter() - started)
            if response.status_code != 202:
                refused += 1

        load = os.getloadavg()[0]
        cpu_before = cpu_seconds(pid)
        started = time.perf_counter()
        tasks = []
        for index in range(total):
            # A steady rate: each signal leaves at its own moment, whatever the others do.
            delay = started + index / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(signal(index)))
        await asyncio.gather(*tasks)
        await sink.wait_for(incidents, DRAIN_SECONDS)
        # Everything the server did for the signals, pages included (idle loops are noise).
        cpu = cpu_seconds(pid) - cpu_before
    latencies = []
    for received in sink.received:
        title = str(received.document.get("data", {}).get("title", ""))
        index = int(title.rsplit(" ", 1)[-1]) if title.startswith("bench signal") else -1
        if index in sent:
            latencies.append(received.at - sent[index])
    name = "notify_latency"
    return [
        Measurement(name, "load average (1 min) at start", load, ""),
        Measurement(name, f"signals at {rate}/s for {seconds} s", total, "signals"),
        Measurement(name, "incidents opened by them", incidents, "incidents"),
        Measurement(name, "first pages received", len(latencies), "pages", f"= {incidents}"),
        Measurement(name, "signals refused", refused, "signals", "0"),
        Measurement(name, "signal accepted (HTTP 202) p50", percentile(answered, 0.5) * 1000, "ms"),
        Measurement(
            name, "signal accepted (HTTP 202) p99", percentile(answered, 0.99) * 1000, "ms"
        ),
        Measurement(name, "signal → page p50", percentile(latencies, 0.5) * 1000, "ms"),
        Measurement(name, "signal → page p99", percentile(latencies, 0.99) * 1000, "ms", "< 1000"),
        Measurement(name, "signal → page max", max(latencies, default=0) * 1000, "ms"),
        Measurement(name, "server CPU per signal", cpu * 1000 / total, "ms"),
    ]


async def _pipeline(url: str, token: str, sink: WebhookSink) -> list[Measurement]:
    """Incident committed → page received: escalation and delivery alone, without ingestion."""
    opened = await opened_at(url, token)
    delays = [
        received.wall - opened[int(received.document["data"]["incident_id"])]
        for received in sink.received
        if int(received.document.get("data", {}).get("incident_id", 0)) in opened
    ]
    name = "notify_latency"
    return [
        Measurement(name, "incident opened → page p50", percentile(delays, 0.5) * 1000, "ms"),
        Measurement(name, "incident opened → page p99", percentile(delays, 0.99) * 1000, "ms"),
    ]


if __name__ == "__main__":
    from bench.results import print_table

    arguments = [int(value) for value in sys.argv[1:4]]
    print_table(asyncio.run(run(*arguments)))
