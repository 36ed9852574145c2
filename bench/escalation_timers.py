"""Escalation timer accuracy: 1,000 escalations whose next level falls due over 30 seconds.

The escalation and notification workers run on the system clock, as in
`garrison serve`; each timer's lateness is the time between its due moment and
the moment its step fired (``last_fired_at``). Run:
``python -m bench.escalation_timers [timers] [spread_seconds]``.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select, update

from bench.escalation_support import WebhookSink, bench_settings, empty_database, event_file
from bench.results import Measurement, percentile
from garrison.audit.actor import Actor
from garrison.config import load_config
from garrison.escalation.models import EscalationRecord
from garrison.escalation.service import start_escalation
from garrison.escalation.worker import EscalationWorker
from garrison.incidents.service import NewIncident, open_incident
from garrison.incidents.vocabulary import Category, Classification, Severity
from garrison.notify.worker import NotificationWorker
from garrison.runtime.assembly import open_context
from garrison.runtime.context import AppContext
from garrison.runtime.workers import Worker, supervise
from garrison.storage.migrate import upgrade

TIMERS = 1_000
SPREAD_SECONDS = 30.0
LEAD_SECONDS = 5.0
TARGET_SECONDS = 1.0


async def run(timers: int = TIMERS, spread: float = SPREAD_SECONDS) -> list[Measurement]:
    sink = WebhookSink()
    await sink.start()
    try:
        with tempfile.TemporaryDirectory(prefix="garrison-bench-") as directory:
            config = event_file(Path(directory), sink_port=sink.port)
            settings = bench_settings(Path(directory)).model_copy(update={"config_file": config})
            await empty_database(settings)
            async with open_context(settings) as context:
                await upgrade(context.engine)
                due = await _prepare(context, timers=timers, spread=spread)
                lateness = await _watch(context, due)
    finally:
        await sink.stop()
    name = "escalation_timers"
    on_time = sum(1 for late in lateness if late <= TARGET_SECONDS)
    return [
        Measurement(name, f"timers due over {spread:g} s", timers, "timers"),
        Measurement(name, "fired", len(lateness), "timers", f"= {timers}"),
        Measurement(name, "fired within 1 s of due", on_time, "timers", f"= {timers}"),
        Measurement(name, "lateness p50", percentile(lateness, 0.5) * 1000, "ms"),
        Measurement(name, "lateness p99", percentile(lateness, 0.99) * 1000, "ms", "< 1000"),
        Measurement(name, "lateness max", max(lateness, default=0) * 1000, "ms", "< 1000"),
        Measurement(name, "fired early", sum(1 for late in lateness if late < 0), "timers", "0"),
    ]


async def _prepare(context: AppContext, *, timers: int, spread: float) -> dict[int, float]:
    """Open the incidents, start their escalations, and set when each next level is due."""
    assert context.settings.config_file is not None
    config = load_config(context.settings.config_file).config
    actor = Actor.system("bench")
    ids = []
    async with context.sessions() as session:
        for index in range(timers):
            incident = await open_incident(
                session,
                new=NewIncident(
                    title=f"timer {index}",
                    severity=Severity.SEV3,
                    category=Category.AVAILABILITY,
                    classification=Classification.INTERNAL,
                ),
                actor=actor,
                now=context.clock.now(),
            )
            record = await start_escalation(
                session,
                incident=incident,
                config=config,
                now=context.clock.now(),
                default_language="en",
            )
            ids.append(record.id)
        await session.commit()
    start = context.clock.now() + timedelta(seconds=LEAD_SECONDS)
    due: dict[int, float] = {}
    async with context.sessions() as session:
        for index, escalation_id in enumerate(ids):
            moment = start + timedelta(seconds=spread * index / timers)
            due[escalation_id] = moment.timestamp()
            await session.execute(
                update(EscalationRecord)
                .where(EscalationRecord.id == escalation_id)
                .values(next_due_at=moment)
            )
        await session.commit()
    return due


async def _watch(context: AppContext, due: dict[int, float]) -> list[float]:
    workers: list[Worker] = [NotificationWorker(context), EscalationWorker(context)]
    deadline = time.time() + LEAD_SECONDS + SPREAD_SECONDS * 2 + 60
    async with supervise(workers, health=context.workers, metrics=context.metrics):
        # The workers offer no "all fired" signal: look once a second, bounded.
        while time.time() < deadline:
            await asyncio.sleep(1)
            async with context.sessions() as session:
                fired = await session.scalar(
                    select(func.count()).where(EscalationRecord.step_index >= 2)
                )
            if fired == len(due):
                break
    async with context.sessions() as session:
        rows = await session.execute(
            select(EscalationRecord.id, EscalationRecord.last_fired_at).where(
                EscalationRecord.step_index >= 2
            )
        )
        return [fired.timestamp() - due[escalation_id] for escalation_id, fired in rows if fired]


if __name__ == "__main__":
    from bench.results import print_table

    timers = int(sys.argv[1]) if len(sys.argv) > 1 else TIMERS
    spread = float(sys.argv[2]) if len(sys.argv) > 2 else SPREAD_SECONDS
    print_table(asyncio.run(run(timers, spread)))
