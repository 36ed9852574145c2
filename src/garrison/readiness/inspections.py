"""Inspections (kiểm tra): a configured checklist carried out by an inspector, each item
passed or failed with evidence; a failed item becomes a readiness task of the unit."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.audit.actor import Actor
from garrison.audit.service import record_audit
from garrison.auth.principal import RequestOrigin
from garrison.config import EventConfig
from garrison.errors import ConflictError, NotFoundError, ValidationFailed
from garrison.i18n import gettext as _
from garrison.readiness.models import MAX_TEXT_LENGTH, Inspection, InspectionItem
from garrison.readiness.tasks import NewTask, create_task

FAILED_ITEM_DEADLINE = timedelta(days=1)


async def start_inspection(
    session: AsyncSession,
    *,
    config: EventConfig,
    checklist_id: str,
    unit_id: str,
    actor: Actor,
    now: datetime,
    origin: RequestOrigin | None = None,
) -> Inspection:
    checklist = next((c for c in config.readiness.inspections if c.id == checklist_id), None)
    if checklist is None:
        raise ValidationFailed(
            _("checklist_id: no inspection checklist has the id %(id)s.") % {"id": checklist_id}
        )
    if unit_id not in {unit.id for unit in config.organisation.units}:
        raise ValidationFailed(_("unit_id: no unit has the id %(id)s.") % {"id": unit_id})
    inspection = Inspection(
        checklist_id=checklist.id,
        name=checklist.name,
        unit_id=unit_id,
        inspector=actor.name,
        started_at=now,
    )
    session.add(inspection)
    await session.flush()
    for position, text in enumerate(checklist.items, start=1):
        session.add(
            InspectionItem(
                inspection_id=inspection.id, position=position, text=text, result="pending"
            )
        )
    await session.flush()
    await record_audit(
        session,
        actor=actor,
        action="readiness.inspection_started",
        target_type="inspection",
        target_id=str(inspection.id),
        at=now,
        after={"checklist_id": checklist.id, "unit_id": unit_id},
        origin=origin,
    )
    return inspection


async def get_inspection(session: AsyncSession, *, inspection_id: int) -> Inspection:
    inspection = await session.get(Inspection, inspection_id)
    if inspection is None:
        raise NotFoundError(_("There is no inspection %(id)d.") % {"id": inspection_id})
    return inspection


async def get_item(session: AsyncSession, *, item_id: int) -> InspectionItem | None:
    return await session.get(InspectionItem, item_id)


async def items_of(session: AsyncSession, *, inspection_id: int) -> list[InspectionItem]:
    query = (
        select(InspectionItem)
        .where(InspectionItem.inspection_id == inspection_id)
        .order_by(InspectionItem.position)
    )
    return list((await session.scalars(query)).all())


async def list_inspections(session: AsyncSession) -> list[Inspection]:
    query = select(Inspection).order_by(Inspection.id.desc()).limit(1000)
    return list((await session.scalars(query)).all())


async def record_item(
    session: AsyncSession,
    *,
    config: EventConfig,
    inspection: Inspection,
    item_id: int,
    passed: bool,
    evidence: str,
    actor: Actor,
    now: datetime,
    origin: RequestOrigin | None = None,
) -> InspectionItem:
    item = await session.get(InspectionItem, item_id)
    if item is None or item.inspection_id != inspection.id:
        raise NotFoundError(_("There is no inspection item %(id)d.") % {"id": item_id})
    if inspection.finished_at is not None:
        raise ConflictError(_("Inspection %(id)d is finished.") % {"id": inspection.id})
    if len(evidence) > MAX_TEXT_LENGTH:
        raise ValidationFailed(
            _("evidence: at most %(max)d characters.") % {"max": MAX_TEXT_LENGTH}
        )
    before = {"result": item.result, "evidence": item.evidence}
    item.result = "pass" if passed else "fail"
    item.evidence = evidence
    item.checked_at, item.checked_by = now, actor.name
    await session.flush()
    await record_audit(
        session,
        actor=actor,
        action="readiness.inspection_item_recorded",
        target_type="inspection",
        target_id=str(inspection.id),
        at=now,
        before=before,
        after={"item_id": item.id, "result": item.result, "evidence": evidence},
        origin=origin,
    )
    if not passed and item.task_id is None:
        task = await create_task(
            session,
            config=config,
            new=NewTask(
                title=_("Fix: %(item)s") % {"item": item.text},
                unit_id=inspection.unit_id,
                deadline=now + FAILED_ITEM_DEADLINE,
                description=evidence,
                inspection_item_id=item.id,
            ),
            actor=actor,
            now=now,
            origin=origin,
        )
        item.task_id = task.id
        await session.flush()
    return item


async def finish_inspection(
    session: AsyncSession,
    *,
    inspection: Inspection,
    actor: Actor,
    now: datetime,
    origin: RequestOrigin | None = None,
) -> Inspection:
    if inspection.finished_at is not None:
        raise ConflictError(_("Inspection %(id)d is finished.") % {"id": inspection.id})
    items = await items_of(session, inspection_id=inspection.id)
    pending = [item.position for item in items if item.result == "pending"]
    if pending:
        raise ConflictError(
            _("Inspection items not checked yet: %(items)s.")
            % {"items": ", ".join(str(p) for p in pending)}
        )
    inspection.finished_at = now
    await session.flush()
    await record_audit(
        session,
        actor=actor,
        action="readiness.inspection_finished",
        target_type="inspection",
        target_id=str(inspection.id),
        at=now,
        after={"failed": sum(1 for item in items if item.result == "fail")},
        origin=origin,
    )
    return inspection
