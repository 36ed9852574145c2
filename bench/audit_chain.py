"""Audit chain: appends per second and verification speed."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bench.results import Measurement, peak_rss_mb
from garrison.audit.actor import Actor
from garrison.audit.service import record_audit
from garrison.audit.verify import verify_chain
from garrison.runtime.assembly import open_context
from garrison.settings import Settings
from garrison.storage.migrate import upgrade

APPENDS = 5_000
BULK = 50_000
BULK_BATCH = 1_000


async def run() -> list[Measurement]:
    with tempfile.TemporaryDirectory(prefix="garrison-bench-") as directory:
        settings = Settings(data_dir=Path(directory))
        async with open_context(settings) as context:
            await upgrade(context.engine)
            actor = Actor.system("bench")
            started = time.perf_counter()
            for index in range(APPENDS):
                async with context.sessions() as session:
                    await record_audit(
                        session,
                        actor=actor,
                        action="bench.change",
                        target_type="item",
                        target_id=str(index),
                        at=context.clock.now(),
                        after={"index": index, "name": f"item {index}"},
                    )
                    await session.commit()
            single = APPENDS / (time.perf_counter() - started)
            for batch in range(BULK // BULK_BATCH):
                async with context.sessions() as session:
                    for index in range(BULK_BATCH):
                        await record_audit(
                            session,
                            actor=actor,
                            action="bench.bulk",
                            target_type="item",
                            target_id=f"{batch}-{index}",
                            at=context.clock.now(),
                            after={"batch": batch, "index": index},
                        )
                    await session.commit()
            started = time.perf_counter()
            async with context.sessions() as session:
                report = await verify_chain(session)
            verify_rate = report.checked / (time.perf_counter() - started)
            assert report.intact, report
    return [
        Measurement("audit_chain", "append, one commit each (SQLite)", single, "entries/s"),
        Measurement("audit_chain", "verify (SQLite)", verify_rate, "entries/s"),
        Measurement("audit_chain", "entries verified", float(report.checked), "entries"),
        Measurement("audit_chain", "peak RSS", peak_rss_mb(), "MB"),
    ]
