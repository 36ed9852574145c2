"""The shift report worker: writes the shift report of each stretch on duty at its handover
(or at its end when nobody wrote a note; see ``garrison.reports.shift``), stores it, emails
it to ``reports.recipients`` and announces both on the bus. It looks every
``POLL_SECONDS`` on ``context.clock``, so a report follows its handover within a minute,
never inside the request that saved the note; after a restart it picks up what is missing.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable

from garrison.bus.events import DomainEvent
from garrison.config import EventConfig
from garrison.duty.source import event_or_none
from garrison.reports.shift import (
    LOOK_BACK,
    deliver_shift_report,
    ended_without_note,
    mark_interrupted,
    notes_without_report,
    undelivered,
    write_shift_report,
)
from garrison.reports.worker import ReportDelivered
from garrison.runtime.context import AppContext
from garrison.storage.engine import reading

logger = logging.getLogger(__name__)

POLL_SECONDS = 30.0


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class ShiftReportWritten(DomainEvent):
    topic = "garrison.reports.shift_written"

    report_id: int
    post_id: str
    person_id: str
    handover_id: int | None = None


class ShiftReportWorker:
    name = "shift-reports"

    def __init__(self, context: AppContext) -> None:
        self.context = context

    def _config(self) -> EventConfig | None:
        return event_or_none(self.context.settings, waiting="shift reports")

    async def run(self, started: Callable[[], None]) -> None:
        async with self.context.sessions() as session:
            if await mark_interrupted(session, now=self.context.clock.now()):
                logger.warning("shift report emails interrupted by a stop: recorded in doubt")
            await session.commit()
        started()
        while True:
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("shift reports failed; trying again shortly")
            await self.context.clock.sleep(POLL_SECONDS)

    async def run_once(self) -> list[int]:
        """Write every due shift report and email what was not emailed; returns the ids of
        the reports written."""
        config = self._config()
        if config is None:
            return []
        now = self.context.clock.now()
        async with self.context.sessions() as session:
            due = await notes_without_report(session, since=now - LOOK_BACK)
            due += await ended_without_note(session, config=config, now=now)
        written: list[int] = []
        for item in due:
            async with self.context.sessions() as session:
                # Reads and renders first: take SQLite's write lock only to store it.
                report = await write_shift_report(
                    reading(session),
                    config=config,
                    config_file=self.context.settings.config_file,
                    due=item,
                    now=now,
                )
            if report is None:
                continue
            written.append(report.id)
            logger.info("shift report %d written for post %s", report.id, report.post_id)
            await self.context.bus.publish(
                ShiftReportWritten(
                    occurred_at=now,
                    report_id=report.id,
                    post_id=report.post_id,
                    person_id=report.person_id,
                    handover_id=report.handover_id,
                )
            )
        async with self.context.sessions() as session:
            for report in await undelivered(session):
                outcome = await deliver_shift_report(session, config=config, report=report, now=now)
                await self.context.bus.publish(
                    ReportDelivered(
                        occurred_at=now,
                        kind="shift",
                        sent_to=outcome.sent_to,
                        without_address=outcome.without_address,
                        error=outcome.error,
                    )
                )
        return written
