"""Shift reports at handover: one per stretch on duty, written by the report worker.

When the outgoing person writes the handover note, the shift report of that post covers
the stretch from its start to the moment the report is written, just after the note (or
to the stretch's end if the note came in the grace period after it). A stretch that ends
without a note is reported once the handover grace (``duty.handover_grace_minutes``) is
over, since no note can be written any more, up to its end. Each stretch is reported
once: the ``report_shift`` row is keyed by post, person and stretch start, so a restart or
a second worker writes no second one. The figures, HTML and PDF (in ``reports.language``)
are stored as they were emailed; the email to ``reports.recipients`` goes once (a send
interrupted by a crash is recorded as in doubt, not repeated).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import and_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.audit.actor import Actor
from garrison.audit.service import record_audit
from garrison.config import EventConfig
from garrison.duty.models import HandoverNote
from garrison.duty.oncall import assignments
from garrison.duty.service import load_plan
from garrison.errors import NotFoundError
from garrison.i18n import gettext as _
from garrison.reports.delivery import DeliveryOutcome, email_report_contents
from garrison.reports.models import ShiftReport
from garrison.reports.render import render_report
from garrison.reports.service import shift_figures, templates_dir_of

ACTOR = Actor.system("reports")
# How far back the worker looks for stretches to report (a restart after a long outage
# does not write the reports of a whole event at once).
LOOK_BACK = timedelta(hours=24)
MAX_BATCH = 50
IN_DOUBT = "in doubt: interrupted while sending; not sent again"


@dataclass(frozen=True, slots=True)
class DueShift:
    """A stretch on duty whose report is due."""

    post: str
    person: str
    shift_start: datetime
    shift_end: datetime
    until: datetime
    handover_id: int | None = None


async def notes_without_report(session: AsyncSession, *, since: datetime) -> list[DueShift]:
    """Handover notes written since ``since`` whose stretch has no report yet."""
    query = (
        select(HandoverNote)
        .outerjoin(
            ShiftReport,
            and_(
                ShiftReport.post_id == HandoverNote.post_id,
                ShiftReport.person_id == HandoverNote.outgoing_person_id,
                ShiftReport.shift_start == HandoverNote.shift_start,
            ),
        )
        .where(HandoverNote.written_at >= since, ShiftReport.id.is_(None))
        .order_by(HandoverNote.written_at, HandoverNote.id)
        .limit(MAX_BATCH)
    )
    return [
        DueShift(
            post=note.post_id,
            person=note.outgoing_person_id,
            shift_start=note.shift_start,
            shift_end=note.shift_end,
            until=note.shift_end,
            handover_id=note.id,
        )
        for note in (await session.scalars(query)).all()
    ]


async def ended_without_note(
    session: AsyncSession, *, config: EventConfig, now: datetime
) -> list[DueShift]:
    """Stretches that ended within :data:`LOOK_BACK`, their handover grace over, with
    neither a note nor a report."""
    if not config.duty.rotations and not config.duty.overrides:
        return []
    grace = timedelta(minutes=config.duty.handover_grace_minutes)
    latest_end = now - grace
    earliest_end = max(now - LOOK_BACK, config.event.start)
    if latest_end <= earliest_end:
        return []
    plan = await load_plan(session, config=config)
    ended = [
        stretch
        for post in config.organisation.posts
        for stretch in assignments(
            plan, post.id, earliest_end - timedelta(microseconds=1), latest_end
        )
        if earliest_end <= stretch.end <= latest_end
    ]
    if not ended:
        return []
    known = await _known_stretches(session, since=min(s.start for s in ended))
    due = [
        DueShift(s.post, s.person, s.start, s.end, until=s.end)
        for s in sorted(ended, key=lambda s: (s.end, s.post))
        if (s.post, s.person, s.start) not in known
    ]
    return due[:MAX_BATCH]


async def _known_stretches(
    session: AsyncSession, *, since: datetime
) -> set[tuple[str, str, datetime]]:
    reported = await session.execute(
        select(ShiftReport.post_id, ShiftReport.person_id, ShiftReport.shift_start).where(
            ShiftReport.shift_start >= since
        )
    )
    noted = await session.execute(
        select(
            HandoverNote.post_id, HandoverNote.outgoing_person_id, HandoverNote.shift_start
        ).where(HandoverNote.shift_start >= since)
    )
    return {(post, person, start) for post, person, start in [*reported.all(), *noted.all()]}


async def write_shift_report(
    session: AsyncSession,
    *,
    config: EventConfig,
    config_file: Path | None,
    due: DueShift,
    now: datetime,
) -> ShiftReport | None:
    """Compute, render and store the report of ``due`` (commits); None when another writer
    stored it first. The window is the stretch, up to ``now`` when it is not over."""
    until = min(due.until, now)
    figures = await shift_figures(
        session,
        config=config,
        post=due.post,
        person=due.person,
        since=due.shift_start,
        until=until,
    )
    language = config.reports.language
    templates = templates_dir_of(config, config_file)
    files = {}
    for file_format in ("html", "pdf"):
        # Rendering (above all WeasyPrint's PDF) takes CPU time: keep it off the event loop.
        files[file_format] = await asyncio.to_thread(
            render_report,
            figures,
            file_format=file_format,
            language=language,
            templates_dir=templates,
            generated_at=now,
        )
    report = ShiftReport(
        post_id=due.post,
        person_id=due.person,
        shift_start=due.shift_start,
        shift_end=due.shift_end,
        handover_id=due.handover_id,
        since=due.shift_start,
        until=until,
        language=language,
        figures=figures,
        html=files["html"],
        pdf=files["pdf"],
        generated_at=now,
        sent_to=[],
    )
    session.add(report)
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        return None
    await record_audit(
        session,
        actor=ACTOR,
        action="report.shift_written",
        target_type="shift_report",
        target_id=str(report.id),
        at=now,
        after={
            "post_id": report.post_id,
            "person_id": report.person_id,
            "shift_start": report.shift_start,
            "until": report.until,
            "handover_id": report.handover_id,
        },
    )
    await session.commit()
    return report


def file_name(report: ShiftReport, config: EventConfig, file_format: str) -> str:
    local = report.shift_start.astimezone(config.event.zone)
    return f"shift-{report.post_id}-{local:%Y%m%d-%H%M}.{file_format}"


async def deliver_shift_report(
    session: AsyncSession, *, config: EventConfig, report: ShiftReport, now: datetime
) -> DeliveryOutcome:
    """Email the stored report once (commits before sending and after)."""
    report.delivery_started_at = now
    await session.commit()
    outcome = await email_report_contents(
        config,
        kind="shift",
        contents=[
            (file_name(report, config, "html"), report.html),
            (file_name(report, config, "pdf"), report.pdf),
        ],
        now=now,
    )
    report.delivered_at = now
    report.sent_to = list(outcome.sent_to)
    report.delivery_error = outcome.error
    await session.commit()
    return outcome


async def undelivered(session: AsyncSession) -> list[ShiftReport]:
    """Reports whose email was never started."""
    query = select(ShiftReport).where(ShiftReport.delivery_started_at.is_(None))
    return list((await session.scalars(query.order_by(ShiftReport.id).limit(MAX_BATCH))).all())


async def mark_interrupted(session: AsyncSession, *, now: datetime) -> int:
    """Sends a crash interrupted: recorded as in doubt, never repeated (flushes)."""
    query = select(ShiftReport).where(
        ShiftReport.delivery_started_at.is_not(None), ShiftReport.delivered_at.is_(None)
    )
    found = (await session.scalars(query)).all()
    for report in found:
        report.delivered_at = now
        report.delivery_error = IN_DOUBT
    await session.flush()
    return len(found)


async def get_shift_report(session: AsyncSession, *, report_id: int) -> ShiftReport:
    report = await session.get(ShiftReport, report_id)
    if report is None:
        raise NotFoundError(_("There is no shift report %(id)d.") % {"id": report_id})
    return report


async def list_shift_reports(
    session: AsyncSession, *, post_id: str | None, limit: int, before_id: int | None = None
) -> list[ShiftReport]:
    """Newest first."""
    query = select(ShiftReport).order_by(ShiftReport.id.desc()).limit(limit)
    if post_id is not None:
        query = query.where(ShiftReport.post_id == post_id)
    if before_id is not None:
        query = query.where(ShiftReport.id < before_id)
    return list((await session.scalars(query)).all())


async def reports_of_handovers(
    session: AsyncSession, *, handover_ids: Sequence[int]
) -> dict[int, int]:
    """Handover note id -> its shift report's id, for the notes that have one."""
    if not handover_ids:
        return {}
    query = select(ShiftReport.handover_id, ShiftReport.id).where(
        ShiftReport.handover_id.in_(list(handover_ids))
    )
    return {
        handover_id: report_id
        for handover_id, report_id in (await session.execute(query)).all()
        if handover_id is not None
    }
