"""Drills: start a run of a configured drill plan, inject what is due, score the run.

Every inject enters through incident ingestion with ``is_drill=True``: the incident gets
the ``[DRILL]`` prefix and the drill badge and stays out of the real figures. The alert
details carry ``drill.notify_leadership`` so that escalation can keep drills off
leadership channels unless the plan says otherwise.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.audit.actor import Actor
from garrison.audit.service import record_audit
from garrison.auth.principal import RequestOrigin
from garrison.config import EventConfig
from garrison.config.plans import DrillInject
from garrison.drills.events import DrillStarted
from garrison.drills.models import DrillInjectRecord, DrillRun
from garrison.drills.scoring import DrillScore, InjectOutcome, score_drill
from garrison.errors import ConflictError, NotFoundError, ValidationFailed
from garrison.i18n import gettext as _
from garrison.incidents.ingest import ingest_signals
from garrison.incidents.models import Incident
from garrison.incidents.outbox import queue_event
from garrison.incidents.signals import IncomingSignal, SignalAction, SourceKind
from garrison.incidents.vocabulary import Category, Severity
from garrison.readiness.models import Checklist

RUNNING = "running"
FINISHED = "finished"
CANCELLED = "cancelled"
SOURCE_KIND = {
    "alert": SourceKind.WEBHOOK,
    "probe_failure": SourceKind.PROBES,
    "detection": SourceKind.DETECTION,
}


async def start_drill(
    session: AsyncSession,
    *,
    config: EventConfig,
    plan_id: str,
    actor: Actor,
    now: datetime,
    origin: RequestOrigin | None = None,
) -> DrillRun:
    plan = next((item for item in config.readiness.drills if item.id == plan_id), None)
    if plan is None:
        raise ValidationFailed(_("plan_id: no drill plan has the id %(id)s.") % {"id": plan_id})
    run = DrillRun(
        plan_id=plan.id,
        name=plan.name,
        announced=plan.announced,
        notify_leadership=plan.notify_leadership,
        status=RUNNING,
        started_at=now,
        started_by=actor.name,
    )
    session.add(run)
    await session.flush()
    for position, inject in enumerate(plan.injects, start=1):
        session.add(
            DrillInjectRecord(
                run_id=run.id,
                position=position,
                due_at=now + timedelta(minutes=inject.offset_minutes),
                kind=inject.kind,
                title=inject.title,
                spec=inject.model_dump(mode="json"),
            )
        )
    await session.flush()
    await record_audit(
        session,
        actor=actor,
        action="drill.started",
        target_type="drill",
        target_id=str(run.id),
        at=now,
        after={"plan_id": plan.id, "injects": len(plan.injects), "announced": plan.announced},
        origin=origin,
    )
    queue_event(
        session,
        DrillStarted(occurred_at=now, run_id=run.id, plan_id=plan.id, announced=run.announced),
    )
    return run


async def get_run(session: AsyncSession, *, run_id: int) -> DrillRun:
    run = await session.get(DrillRun, run_id)
    if run is None:
        raise NotFoundError(_("There is no drill %(id)d.") % {"id": run_id})
    return run


async def list_runs(session: AsyncSession) -> list[DrillRun]:
    return list((await session.scalars(select(DrillRun).order_by(DrillRun.id))).all())


async def injects_of(session: AsyncSession, *, run_id: int) -> list[DrillInjectRecord]:
    query = (
        select(DrillInjectRecord)
        .where(DrillInjectRecord.run_id == run_id)
        .order_by(DrillInjectRecord.position)
    )
    return list((await session.scalars(query)).all())


async def due_injects(session: AsyncSession, *, now: datetime) -> list[int]:
    query = (
        select(DrillInjectRecord.id)
        .join(DrillRun, DrillRun.id == DrillInjectRecord.run_id)
        .where(
            DrillRun.status == RUNNING,
            DrillInjectRecord.injected_at.is_(None),
            DrillInjectRecord.due_at <= now,
        )
        .order_by(DrillInjectRecord.due_at, DrillInjectRecord.id)
    )
    return list((await session.scalars(query.limit(500))).all())


async def next_due(session: AsyncSession) -> datetime | None:
    query = (
        select(DrillInjectRecord.due_at)
        .join(DrillRun, DrillRun.id == DrillInjectRecord.run_id)
        .where(DrillRun.status == RUNNING, DrillInjectRecord.injected_at.is_(None))
        .order_by(DrillInjectRecord.due_at)
        .limit(1)
    )
    return (await session.scalars(query)).first()


def drill_signal(run: DrillRun, record: DrillInjectRecord) -> IncomingSignal:
    inject = DrillInject.model_validate(record.spec)
    details: dict[str, Any] = {
        "drill": {
            "run_id": run.id,
            "inject": record.position,
            "announced": run.announced,
            "notify_leadership": run.notify_leadership,
        }
    }
    if inject.source_address is not None:
        details["source_address"] = inject.source_address
    return IncomingSignal(
        source="drill" if inject.kind == "alert" else SOURCE_KIND[inject.kind].value,
        source_kind=SOURCE_KIND[inject.kind],
        source_name=_("Drill %(name)s") % {"name": run.name},
        action=SignalAction.TRIGGER,
        dedup_key=f"drill:{run.id}:{record.position}",
        summary=inject.title,
        severity=Severity(inject.severity),
        category=Category(inject.category),
        service_id=inject.service,
        service_state="down" if inject.kind == "probe_failure" else None,
        site_id=inject.site,
        is_drill=True,
        details=details,
    )


async def inject(
    session: AsyncSession, *, record: DrillInjectRecord, now: datetime
) -> DrillInjectRecord:
    """Inject one due record (flushes); a failure is recorded on it, never raised."""
    run = await get_run(session, run_id=record.run_id)
    if record.injected_at is not None:
        return record
    record.injected_at = now
    try:
        async with session.begin_nested():
            results = await ingest_signals(session, signals=[drill_signal(run, record)], now=now)
        record.incident_id = results[0].incident_id
    except Exception as exc:
        record.error = str(exc)[:2000]
    await session.flush()
    remaining = [r for r in await injects_of(session, run_id=run.id) if r.injected_at is None]
    if not remaining:
        run.status, run.finished_at = FINISHED, now
    await record_audit(
        session,
        actor=Actor.system("drills"),
        action="drill.injected",
        target_type="drill",
        target_id=str(run.id),
        at=now,
        after={"inject": record.position, "incident_id": record.incident_id, "error": record.error},
    )
    return record


async def cancel_drill(
    session: AsyncSession,
    *,
    run: DrillRun,
    actor: Actor,
    now: datetime,
    origin: RequestOrigin | None = None,
) -> DrillRun:
    if run.status != RUNNING:
        raise ConflictError(
            _("Drill %(id)d is %(status)s already.") % {"id": run.id, "status": run.status}
        )
    run.status, run.finished_at = CANCELLED, now
    await session.flush()
    await record_audit(
        session,
        actor=actor,
        action="drill.cancelled",
        target_type="drill",
        target_id=str(run.id),
        at=now,
        after={"status": run.status},
        origin=origin,
    )
    return run


async def drill_outcomes(session: AsyncSession, *, run_id: int) -> list[InjectOutcome]:
    outcomes = []
    for record in await injects_of(session, run_id=run_id):
        inject_spec = DrillInject.model_validate(record.spec)
        incident = (
            None if record.incident_id is None else await session.get(Incident, record.incident_id)
        )
        plans: tuple[str, ...] = ()
        if incident is not None:
            query = select(Checklist.plan_id).where(Checklist.incident_id == incident.id)
            plans = tuple((await session.scalars(query)).all())
        expected = inject_spec.expected
        outcomes.append(
            InjectOutcome(
                position=record.position,
                title=record.title,
                post=inject_spec.post,
                injected_at=record.injected_at,
                opened_at=incident.opened_at if incident else None,
                acknowledged_at=incident.acknowledged_at if incident else None,
                mitigated_at=incident.mitigated_at if incident else None,
                resolved_at=incident.resolved_at if incident else None,
                targets={
                    "acknowledge": expected.acknowledge_minutes,
                    "mitigate": expected.mitigate_minutes,
                    "resolve": expected.resolve_minutes,
                },
                expected_plan=expected.plan,
                plans_used=plans,
            )
        )
    return outcomes


async def drill_score(session: AsyncSession, *, run_id: int) -> DrillScore:
    return score_drill(await drill_outcomes(session, run_id=run_id))
