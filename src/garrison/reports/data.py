"""Loads the facts of a report from the database and the configuration."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.config import EventConfig
from garrison.detection.alerts.models import DetectionAlert
from garrison.directives.models import Directive
from garrison.drills.service import drill_score, list_runs
from garrison.duty.coverage import check_coverage
from garrison.duty.models import CheckInRecord, HandoverNote
from garrison.duty.service import load_plan
from garrison.errors import ValidationFailed
from garrison.i18n import gettext as _
from garrison.incidents.models import Incident
from garrison.probes.models import StateChangeRecord
from garrison.readiness.models import ReadinessTask
from garrison.reports.facts import (
    CheckInFacts,
    DetectionFacts,
    DirectiveFacts,
    DrillFacts,
    GapFacts,
    HandoverFacts,
    IncidentFacts,
    ReportFacts,
    ServiceFacts,
    StateChange,
    TaskFacts,
)

KINDS = ("shift", "daily", "final")
SHIFT_HOURS = 12
MAX_ROWS = 200_000


def report_window(
    kind: str, *, config: EventConfig, now: datetime, day: date | None = None
) -> tuple[datetime, datetime]:
    """Final: the operation window. Daily: the event-local day ``day``, by default the
    local day of ``now``. Shift: the ``SHIFT_HOURS`` ending now. Callers clip the end to
    ``now`` (``garrison.reports.service``)."""
    zone = config.event.zone
    if kind == "final":
        return config.event.start, config.event.end
    if kind == "daily":
        if day is None:
            day = now.astimezone(zone).date()
        start = datetime(day.year, day.month, day.day, tzinfo=zone)
        return start.astimezone(now.tzinfo), (start + timedelta(days=1)).astimezone(now.tzinfo)
    if kind == "shift":
        return now - timedelta(hours=SHIFT_HOURS), now
    raise ValidationFailed(_("kind: one of shift, daily, final."))


async def load_facts(
    session: AsyncSession,
    *,
    kind: str,
    config: EventConfig,
    since: datetime,
    until: datetime,
    post: str | None = None,
) -> ReportFacts:
    """``post``: a shift report of that post; its check-ins, coverage gaps and handovers
    only (the rest is the operations centre's situation over the window)."""
    services = [ServiceFacts(s.id, s.name, s.criticality.value, s.site) for s in config.services]
    check_ins = await _check_ins(session, since=since, until=until)
    gaps = await _gaps(session, config=config, since=since, until=until)
    handovers = await _handovers(session, since=since, until=until)
    return ReportFacts(
        kind=kind,
        event_name=config.event.name,
        timezone=config.event.timezone,
        since=since,
        until=until,
        event_start=config.event.start,
        services=services,
        changes=await _changes(session, until=until),
        incidents=await _incidents(session, until=until),
        detections=await _detections(session, since=since, until=until),
        directives=await _directives(session, until=until),
        check_ins=[c for c in check_ins if post is None or c.post == post],
        gaps=[g for g in gaps if post is None or g.post == post],
        handovers=[h for h in handovers if post is None or h.post == post],
        drills=await _drills(session),
        tasks=await _tasks(session),
        units=[unit.id for unit in config.organisation.units],
    )


async def _changes(session: AsyncSession, *, until: datetime) -> dict[str, list[StateChange]]:
    query = (
        select(StateChangeRecord)
        .where(StateChangeRecord.subject_kind == "service", StateChangeRecord.at < until)
        .order_by(StateChangeRecord.at, StateChangeRecord.id)
        .limit(MAX_ROWS)
    )
    found: dict[str, list[StateChange]] = {}
    for row in (await session.scalars(query)).all():
        found.setdefault(row.subject_id, []).append(
            StateChange(row.at, row.previous, row.current, row.in_maintenance, row.caused_by)
        )
    return found


async def _incidents(session: AsyncSession, *, until: datetime) -> list[IncidentFacts]:
    query = select(Incident).where(Incident.opened_at < until, Incident.merged_into_id.is_(None))
    rows = (await session.scalars(query.order_by(Incident.id).limit(MAX_ROWS))).all()
    return [
        IncidentFacts(
            id=row.id,
            title=row.title,
            severity=row.severity,
            category=row.category,
            status=row.status,
            is_drill=row.is_drill,
            opened_at=row.opened_at,
            acknowledged_at=row.acknowledged_at,
            resolved_at=row.resolved_at,
            services=tuple(row.services),
        )
        for row in rows
    ]


async def _detections(
    session: AsyncSession, *, since: datetime, until: datetime
) -> list[DetectionFacts]:
    query = select(DetectionAlert).where(
        DetectionAlert.occurred_at >= since, DetectionAlert.occurred_at < until
    )
    rows = (await session.scalars(query.limit(MAX_ROWS))).all()
    return [
        DetectionFacts(row.category, row.source_address, row.occurred_at, row.is_drill, row.count)
        for row in rows
    ]


async def _directives(session: AsyncSession, *, until: datetime) -> list[DirectiveFacts]:
    query = select(Directive).where(Directive.created_at < until).order_by(Directive.id)
    rows = (await session.scalars(query.limit(MAX_ROWS))).all()
    return [
        DirectiveFacts(row.id, row.created_at, row.deadline, row.status, row.completed_at)
        for row in rows
    ]


async def _check_ins(
    session: AsyncSession, *, since: datetime, until: datetime
) -> list[CheckInFacts]:
    query = select(CheckInRecord).where(CheckInRecord.due_at >= since, CheckInRecord.due_at < until)
    rows = (await session.scalars(query.limit(MAX_ROWS))).all()
    return [
        CheckInFacts(row.post_id, row.person_id, row.due_at, row.checked_in_at, row.missed_at)
        for row in rows
    ]


async def _gaps(
    session: AsyncSession, *, config: EventConfig, since: datetime, until: datetime
) -> list[GapFacts]:
    if not config.duty.rotations:
        return []
    plan = await load_plan(session, config=config)
    coverage = check_coverage(plan, start=since, end=until)
    return [GapFacts(gap.post, gap.start, gap.end) for gap in coverage.gaps]


async def _handovers(
    session: AsyncSession, *, since: datetime, until: datetime
) -> list[HandoverFacts]:
    query = select(HandoverNote).where(
        HandoverNote.written_at >= since, HandoverNote.written_at < until
    )
    rows = (await session.scalars(query.order_by(HandoverNote.written_at))).all()
    return [
        HandoverFacts(
            row.post_id,
            row.outgoing_person_id,
            row.incoming_person_id,
            row.written_at,
            row.remarks,
            row.acknowledged_at is not None,
        )
        for row in rows
    ]


async def _drills(session: AsyncSession) -> list[DrillFacts]:
    found = []
    for run in await list_runs(session):
        score = await drill_score(session, run_id=run.id)
        found.append(DrillFacts(run.name, run.started_at, score.overall, score.per_post))
    return found


async def _tasks(session: AsyncSession) -> list[TaskFacts]:
    rows = (await session.scalars(select(ReadinessTask).limit(MAX_ROWS))).all()
    return [TaskFacts(row.unit_id, row.status, row.completed_at) for row in rows]
