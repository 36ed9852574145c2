"""The report worker: writes the daily situation report at ``reports.daily_hour`` (event
time) into ``<data_dir>/reports/`` as HTML and PDF, publishes ``ReportWritten`` for each
file, emails both to ``reports.recipients`` and publishes ``ReportDelivered`` with what
became of the email (a failed email is an outcome, not a crash).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from garrison.bus.events import DomainEvent
from garrison.config import EventConfig
from garrison.duty.source import event_or_none
from garrison.reports.delivery import email_report
from garrison.reports.service import ReportRequest, build_report
from garrison.runtime.context import AppContext
from garrison.storage.engine import reading

logger = logging.getLogger(__name__)

REPORT_FOLDER = "reports"


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class ReportWritten(DomainEvent):
    topic = "garrison.reports.written"

    kind: str
    path: str


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class ReportDelivered(DomainEvent):
    topic = "garrison.reports.delivered"

    kind: str
    sent_to: tuple[str, ...] = ()
    without_address: tuple[str, ...] = ()
    error: str | None = None


def next_daily_run(config: EventConfig, *, now: datetime) -> datetime:
    zone = config.event.zone
    local = now.astimezone(zone)
    run = local.replace(hour=config.reports.daily_hour, minute=0, second=0, microsecond=0)
    if run <= local:
        run += timedelta(days=1)
    return run.astimezone(now.tzinfo)


class ReportWorker:
    name = "reports"

    def __init__(self, context: AppContext) -> None:
        self.context = context

    def _config(self) -> EventConfig | None:
        return event_or_none(self.context.settings, waiting="reports")

    async def run(self, started: Callable[[], None]) -> None:
        started()
        while True:
            config = self._config()
            if config is None:
                await self.context.clock.sleep(3600)
                continue
            due = next_daily_run(config, now=self.context.clock.now())
            await self.context.clock.sleep((due - self.context.clock.now()).total_seconds())
            # The file may have changed while the worker slept.
            config = self._config() or config
            try:
                await self.write_daily(config)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("the daily report could not be written")

    async def write_daily(self, config: EventConfig) -> list[str]:
        """Write the daily report's files, then email them; returns the files' paths."""
        now = self.context.clock.now()
        folder = self.context.settings.data_dir / REPORT_FOLDER
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for file_format in ("html", "pdf"):
            async with self.context.sessions() as session:
                # Reads only: rendering the PDF must not hold SQLite's write lock.
                content = await build_report(
                    reading(session),
                    config=config,
                    config_file=self.context.settings.config_file,
                    request=ReportRequest(
                        kind="daily", file_format=file_format, language=config.reports.language
                    ),
                    now=now,
                )
            path = folder / f"daily-{now.astimezone(config.event.zone):%Y%m%d}.{file_format}"
            path.write_bytes(content)
            written.append(str(path))
            await self.context.bus.publish(
                ReportWritten(occurred_at=now, kind="daily", path=str(path))
            )
        logger.info("daily report written: %s", ", ".join(written))
        outcome = await email_report(
            config, kind="daily", files=[Path(path) for path in written], now=now
        )
        await self.context.bus.publish(
            ReportDelivered(
                occurred_at=now,
                kind="daily",
                sent_to=outcome.sent_to,
                without_address=outcome.without_address,
                error=outcome.error,
            )
        )
        return written
