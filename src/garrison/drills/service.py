"""Drills: start a run of a configured drill plan, inject what is due, score the run.

An ``alert`` or ``probe_failure`` inject enters through incident ingestion with
``is_drill=True``. A ``detection`` inject goes the way of a real detection: its events
through the detection engine (``garrison.drills.detection``), its findings stored as
detection alerts marked with the drill (run and inject) and announced as
``DetectionAlertRaised`` after commit; the incident worker opens the drill incident from
it, and the drill worker links it to the inject afterwards. Either way the incident gets
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
from garrison.detection.alerts.announce import alert_event
from garrison.detection.alerts.models import DetectionAlert
from garrison.detection.alerts.service import DrillMark, record_findings
from garrison.detection.events import DetectionAlertRaised
from garrison.drills.detection import DrillRules, inject_findings
from garrison.drills.events import DrillStarted
from garrison.drills.models import DrillInjectRecord, DrillRun
from garrison.drills.scoring import DrillScore, InjectOutcome, score_drill
from garrison.errors import ConflictError, NotFoundError, ValidationFailed
from garrison.i18n import gettext as _
from garrison.incidents.bus_signals import detection_dedup_key
from garrison.incidents.ingest import ingest_signals
from garrison.incidents.models import Alert, Incident
from garrison.incidents.outbox import queue_event
from garrison.incidents.signals import IncomingSignal, SignalAction, SourceKind
from garrison.incidents.vocabulary import Category, Severity
from garrison.readiness.models import Checklist

RUNNING = "running"
FINISHED = "finished"
CANCELLED = "cancelled"
# A drill's alerts deduplicate only among themselves (their fingerprints name the inject).
DETECTION_DEDUP = timedelta(minutes=10)
# How long the drill worker looks for the incident of a detection inject (later, the
# results still find it).
LINK_WINDOW = timedelta(hours=1)
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


def drill_details(run: DrillRun, record: DrillInjectRecord) -> dict[str, Any]:
    """What an injected alert says of its drill (``details.drill`` on incident alerts)."""
    return {
        "run_id": run.id,
        "inject": record.position,
        "announced": run.announced,
        "notify_leadership": run.notify_leadership,
    }


def drill_signal(run: DrillRun, record: DrillInjectRecord) -> IncomingSignal:
    inject = DrillInject.model_validate(record.spec)
    details: dict[str, Any] = {"drill": drill_details(run, record)}
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


async def _store_detection(
    session: AsyncSession,
    *,
    run: DrillRun,
    record: DrillInjectRecord,
    rules: DrillRules | None,
    now: datetime,
) -> list[DetectionAlertRaised]:
    """Store the inject's detections as the detection store does; returns their events."""
    spec = DrillInject.model_validate(record.spec)
    findings = await inject_findings(spec, rules=rules, now=now)
    created = await record_findings(
        session,
        findings=findings,
        now=now,
        dedup_window=DETECTION_DEDUP,
        actor=Actor.system("drills"),
        drill=DrillMark(run_id=run.id, inject=record.position),
    )
    details = drill_details(run, record)
    return [alert_event(alert, service_id=spec.service, drill=details) for alert in created]


async def inject(
    session: AsyncSession,
    *,
    record: DrillInjectRecord,
    now: datetime,
    rules: DrillRules | None = None,
) -> DrillInjectRecord:
    """Inject one due record (flushes); a failure is recorded on it, never raised.

    ``rules``: the detection rules that ``detection`` injects with events are evaluated
    against (the drill worker's); without them such an inject fails (recorded)."""
    run = await get_run(session, run_id=record.run_id)
    if record.injected_at is not None:
        return record
    record.injected_at = now
    announced: list[DetectionAlertRaised] = []
    try:
        async with session.begin_nested():
            if record.kind == "detection":
                announced = await _store_detection(
                    session, run=run, record=record, rules=rules, now=now
                )
            else:
                signal = drill_signal(run, record)
                results = await ingest_signals(session, signals=[signal], now=now)
                record.incident_id = results[0].incident_id
    except Exception as exc:
        record.error = str(exc)[:2000]
    # Announced after commit (``commit_and_publish``): the incident worker opens the incident.
    for event in announced:
        queue_event(session, event)
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


async def detection_incident_id(session: AsyncSession, *, record: DrillInjectRecord) -> int | None:
    """The incident opened from a detection inject's alerts, once the incident worker has."""
    query = select(DetectionAlert.fingerprint).where(
        DetectionAlert.drill_run_id == record.run_id,
        DetectionAlert.drill_inject == record.position,
    )
    keys = [detection_dedup_key(fingerprint) for fingerprint in await session.scalars(query)]
    if not keys:
        return None
    found = select(Alert.incident_id).where(
        Alert.dedup_key.in_(keys), Alert.is_drill.is_(True), Alert.incident_id.is_not(None)
    )
    return (await session.scalars(found.order_by(Alert.id).limit(1))).first()


async def unlinked_detections(session: AsyncSession, *, since: datetime) -> list[DrillInjectRecord]:
    """Detection injects injected since ``since`` without error whose incident is not
    linked yet."""
    query = (
        select(DrillInjectRecord)
        .join(DrillRun, DrillRun.id == DrillInjectRecord.run_id)
        .where(
            DrillRun.status != CANCELLED,
            DrillInjectRecord.kind == "detection",
            DrillInjectRecord.injected_at >= since,
            DrillInjectRecord.incident_id.is_(None),
            DrillInjectRecord.error.is_(None),
        )
        .order_by(DrillInjectRecord.id)
        .limit(500)
    )
    return list((await session.scalars(query)).all())


async def link_detection_incidents(session: AsyncSession, *, now: datetime) -> list[int]:
    """Link detection injects to the incidents opened from them (flushes, audited);
    returns the ids of the inject records linked."""
    linked = []
    for record in await unlinked_detections(session, since=now - LINK_WINDOW):
        incident_id = await detection_incident_id(session, record=record)
        if incident_id is None:
            continue
        record.incident_id = incident_id
        linked.append(record.id)
        await record_audit(
            session,
            actor=Actor.system("drills"),
            action="drill.linked",
            target_type="drill",
            target_id=str(record.run_id),
            at=now,
            after={"inject": record.position, "incident_id": incident_id},
        )
    await session.flush()
    return linked


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
        incident_id = record.incident_id
        if incident_id is None and record.kind == "detection" and record.error is None:
            incident_id = await detection_incident_id(session, record=record)
        incident = None if incident_id is None else await session.get(Incident, incident_id)
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
