"""Readiness over HTTP: plans (read; edit with ``readiness:manage``), runbooks on incidents
(read with ``readiness:read``, tick with ``incident:respond``), tasks with evidence,
readiness and countdown, inspections."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Path, UploadFile
from fastapi.responses import FileResponse

from garrison.audit.actor import Actor
from garrison.auth.dependencies import require
from garrison.auth.permissions import Permission
from garrison.auth.principal import Principal
from garrison.duty.dependencies import EventConfiguration
from garrison.errors import NotFoundError
from garrison.i18n import gettext as _
from garrison.incidents.access import viewer_for
from garrison.incidents.outbox import commit_and_publish
from garrison.incidents.service import get_visible_incident
from garrison.readiness import inspections as inspection_service
from garrison.readiness import plans as plan_service
from garrison.readiness import tasks as task_service
from garrison.readiness.models import Evidence, Inspection, ReadinessTask
from garrison.readiness.schemas import (
    ChecklistOut,
    EvidenceOut,
    InspectionIn,
    InspectionOut,
    ItemIn,
    ItemOut,
    PlanOut,
    ReadinessOut,
    StepOut,
    TaskIn,
    TaskOut,
    TickIn,
    UnitReadiness,
)
from garrison.web.dependencies import Context, DbSession, Origin

router = APIRouter(tags=["readiness"])

Reader = Annotated[Principal, Depends(require(Permission.READINESS_READ))]
Manager = Annotated[Principal, Depends(require(Permission.READINESS_MANAGE))]
Responder = Annotated[Principal, Depends(require(Permission.INCIDENT_RESPOND))]
PlanId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_.-]*$")]
RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _plan_out(found: plan_service.EffectivePlan) -> PlanOut:
    return PlanOut(
        plan=found.plan.model_dump(mode="json"), source=found.source, stale_edit=found.stale_edit
    )


@router.get("/readiness/plans", response_model=list[PlanOut])
async def list_plans(_p: Reader, config: EventConfiguration, session: DbSession) -> list[PlanOut]:
    return [_plan_out(p) for p in await plan_service.effective_plans(session, config=config)]


@router.put("/readiness/plans/{plan_id}", response_model=PlanOut)
async def edit_plan(
    principal: Manager,
    plan_id: PlanId,
    body: dict[str, Any],
    config: EventConfiguration,
    context: Context,
    session: DbSession,
    origin: Origin,
) -> PlanOut:
    """Store a run-time edit of a plan; it wins until the configuration changes the plan."""
    plan = plan_service.parse_plan(body, plan_id=plan_id)
    saved = await plan_service.save_plan(
        session,
        config=config,
        plan=plan,
        actor=Actor.from_principal(principal),
        now=context.clock.now(),
        origin=origin,
    )
    await session.commit()
    return _plan_out(saved)


@router.get("/incidents/{incident_id}/runbooks", response_model=list[ChecklistOut])
async def incident_runbooks(
    principal: Reader, incident_id: RowId, session: DbSession
) -> list[ChecklistOut]:
    await get_visible_incident(
        session, incident_id=incident_id, viewer=await viewer_for(session, principal)
    )
    return [
        ChecklistOut(
            id=checklist.id,
            plan_id=checklist.plan_id,
            plan_name=checklist.plan_name,
            attached_at=checklist.attached_at,
            steps=[StepOut.model_validate(step, from_attributes=True) for step in steps],
        )
        for checklist, steps in await plan_service.checklists_of(session, incident_id=incident_id)
    ]


@router.post("/incidents/{incident_id}/runbooks/steps/{step_id}/done", response_model=StepOut)
async def tick(
    principal: Responder,
    incident_id: RowId,
    step_id: RowId,
    body: TickIn,
    context: Context,
    session: DbSession,
    origin: Origin,
) -> StepOut:
    """Tick a runbook step; it goes on the incident's timeline."""
    await get_visible_incident(
        session, incident_id=incident_id, viewer=await viewer_for(session, principal)
    )
    step = await plan_service.tick_step(
        session,
        incident_id=incident_id,
        step_id=step_id,
        note=body.note,
        actor=Actor.from_principal(principal),
        now=context.clock.now(),
        origin=origin,
    )
    await session.commit()
    return StepOut.model_validate(step, from_attributes=True)


def _task_out(task: ReadinessTask) -> TaskOut:
    return TaskOut.model_validate(task, from_attributes=True)


@router.get("/readiness", response_model=ReadinessOut)
async def readiness(
    _p: Reader, config: EventConfiguration, context: Context, session: DbSession
) -> ReadinessOut:
    """Readiness per unit and overall, and the countdown to the event's start."""
    units = [unit.id for unit in config.organisation.units]
    figures = task_service.readiness_of(await task_service.list_tasks(session), units)
    rows = [
        UnitReadiness(unit_id=r.unit_id, total=r.total, done=r.done, percent=r.percent)
        for r in figures
    ]
    return ReadinessOut(
        units=rows[:-1],
        overall=rows[-1],
        event_start=config.event.start,
        countdown_seconds=task_service.countdown_seconds(config, now=context.clock.now()),
    )


@router.get("/readiness/tasks", response_model=list[TaskOut])
async def list_tasks(
    _p: Reader,
    session: DbSession,
    unit_id: str | None = None,
    status: Literal["open", "done", "cancelled"] | None = None,
) -> list[TaskOut]:
    rows = await task_service.list_tasks(session, unit_id=unit_id, status=status)
    return [_task_out(task) for task in rows]


@router.post("/readiness/tasks", response_model=TaskOut, status_code=201)
async def create_task(
    principal: Manager,
    body: TaskIn,
    config: EventConfiguration,
    context: Context,
    session: DbSession,
    origin: Origin,
) -> TaskOut:
    task = await task_service.create_task(
        session,
        config=config,
        new=task_service.NewTask(
            title=body.title,
            unit_id=body.unit_id,
            deadline=body.deadline,
            owner_person_id=body.owner_person_id,
            description=body.description,
        ),
        actor=Actor.from_principal(principal),
        now=context.clock.now(),
        origin=origin,
    )
    await session.commit()
    return _task_out(task)


async def _finish(
    principal: Principal,
    task_id: int,
    status: task_service.TaskStatus,
    context: Context,
    session: DbSession,
    origin: Origin,
) -> TaskOut:
    task = await task_service.get_task(session, task_id=task_id)
    await task_service.set_task_status(
        session,
        task=task,
        status=status,
        actor=Actor.from_principal(principal),
        now=context.clock.now(),
        origin=origin,
    )
    await session.commit()
    return _task_out(task)


@router.post("/readiness/tasks/{task_id}/complete", response_model=TaskOut)
async def complete_task(
    principal: Manager, task_id: RowId, context: Context, session: DbSession, origin: Origin
) -> TaskOut:
    done = task_service.TaskStatus.DONE
    return await _finish(principal, task_id, done, context, session, origin)


@router.post("/readiness/tasks/{task_id}/cancel", response_model=TaskOut)
async def cancel_task(
    principal: Manager, task_id: RowId, context: Context, session: DbSession, origin: Origin
) -> TaskOut:
    cancelled = task_service.TaskStatus.CANCELLED
    return await _finish(principal, task_id, cancelled, context, session, origin)


@router.post("/readiness/tasks/{task_id}/evidence", response_model=EvidenceOut, status_code=201)
async def add_evidence(
    principal: Manager,
    task_id: RowId,
    context: Context,
    session: DbSession,
    origin: Origin,
    note: Annotated[str, Form(max_length=4000)] = "",
    file: UploadFile | None = None,
) -> EvidenceOut:
    """A note and/or a file (at most 5 MiB, kept in the data directory)."""
    task = await task_service.get_task(session, task_id=task_id)
    upload = None
    if file is not None:
        content = await file.read(task_service.MAX_EVIDENCE_BYTES + 1)
        upload = (file.filename or "evidence", content)
    evidence = await task_service.add_evidence(
        session,
        task=task,
        note=note,
        file=upload,
        data_dir=context.settings.data_dir,
        actor=Actor.from_principal(principal),
        now=context.clock.now(),
        origin=origin,
    )
    await session.commit()
    return EvidenceOut.model_validate(evidence, from_attributes=True)


@router.get("/readiness/tasks/{task_id}/evidence", response_model=list[EvidenceOut])
async def list_evidence(_p: Reader, task_id: RowId, session: DbSession) -> list[EvidenceOut]:
    await task_service.get_task(session, task_id=task_id)
    rows = await task_service.evidence_of(session, task_id=task_id)
    return [EvidenceOut.model_validate(row, from_attributes=True) for row in rows]


@router.get("/readiness/evidence/{evidence_id}/file")
async def evidence_file(
    _p: Reader, evidence_id: RowId, context: Context, session: DbSession
) -> FileResponse:
    evidence = await session.get(Evidence, evidence_id)
    if evidence is None:
        raise NotFoundError(_("There is no evidence %(id)d.") % {"id": evidence_id})
    path = task_service.evidence_path(evidence, data_dir=context.settings.data_dir)
    return FileResponse(
        path,
        filename=evidence.filename or "evidence",
        media_type="application/octet-stream",
        content_disposition_type="attachment",
    )


async def _inspection_out(session: DbSession, inspection: Inspection) -> InspectionOut:
    items = await inspection_service.items_of(session, inspection_id=inspection.id)
    return InspectionOut(
        id=inspection.id,
        checklist_id=inspection.checklist_id,
        name=inspection.name,
        unit_id=inspection.unit_id,
        inspector=inspection.inspector,
        started_at=inspection.started_at,
        finished_at=inspection.finished_at,
        items=[ItemOut.model_validate(item, from_attributes=True) for item in items],
    )


@router.get("/readiness/inspections", response_model=list[InspectionOut])
async def list_inspections(_p: Reader, session: DbSession) -> list[InspectionOut]:
    return [
        await _inspection_out(session, row)
        for row in await inspection_service.list_inspections(session)
    ]


@router.post("/readiness/inspections", response_model=InspectionOut, status_code=201)
async def start_inspection(
    principal: Manager,
    body: InspectionIn,
    config: EventConfiguration,
    context: Context,
    session: DbSession,
    origin: Origin,
) -> InspectionOut:
    inspection = await inspection_service.start_inspection(
        session,
        config=config,
        checklist_id=body.checklist_id,
        unit_id=body.unit_id,
        actor=Actor.from_principal(principal),
        now=context.clock.now(),
        origin=origin,
    )
    await session.commit()
    return await _inspection_out(session, inspection)


@router.post("/readiness/inspections/{inspection_id}/items/{item_id}", response_model=ItemOut)
async def record_item(
    principal: Manager,
    inspection_id: RowId,
    item_id: RowId,
    body: ItemIn,
    config: EventConfiguration,
    context: Context,
    session: DbSession,
    origin: Origin,
) -> ItemOut:
    """Pass or fail one item with evidence; a failed item becomes a task."""
    inspection = await inspection_service.get_inspection(session, inspection_id=inspection_id)
    item = await inspection_service.record_item(
        session,
        config=config,
        inspection=inspection,
        item_id=item_id,
        passed=body.passed,
        evidence=body.evidence,
        actor=Actor.from_principal(principal),
        now=context.clock.now(),
        origin=origin,
    )
    await commit_and_publish(session, context.bus)
    return ItemOut.model_validate(item, from_attributes=True)


@router.post("/readiness/inspections/{inspection_id}/finish", response_model=InspectionOut)
async def finish_inspection(
    principal: Manager, inspection_id: RowId, context: Context, session: DbSession, origin: Origin
) -> InspectionOut:
    inspection = await inspection_service.get_inspection(session, inspection_id=inspection_id)
    await inspection_service.finish_inspection(
        session,
        inspection=inspection,
        actor=Actor.from_principal(principal),
        now=context.clock.now(),
        origin=origin,
    )
    await session.commit()
    return await _inspection_out(session, inspection)
