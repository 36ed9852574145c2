"""Plans (phương án): the configured ones, run-time edits, and runbooks on incidents.

The rule between the file and the console: an edit made through the API is stored with
the digest of the configured plan it was made from. It wins for as long as that plan is
unchanged in the configuration; once the file changes the plan, the file wins again
(the edit is kept for the record, marked stale). A plan that exists only in the
database (created through the API) always counts.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.audit.actor import Actor
from garrison.audit.service import record_audit
from garrison.auth.principal import RequestOrigin
from garrison.config import EventConfig
from garrison.config.plans import Plan
from garrison.errors import ConflictError, NotFoundError, ValidationFailed
from garrison.i18n import gettext as _
from garrison.incidents.models import Incident
from garrison.incidents.outbox import queue_event
from garrison.incidents.timeline import TimelineKind, add_timeline_entry
from garrison.readiness.events import RunbookAttached
from garrison.readiness.models import MAX_TEXT_LENGTH, Checklist, ChecklistStep, PlanEdit

NO_CONFIG_DIGEST = "-"


@dataclass(frozen=True, slots=True)
class EffectivePlan:
    plan: Plan
    source: str  # "config" or "edit"
    stale_edit: bool = False


def plan_digest(plan: Plan | None) -> str:
    if plan is None:
        return NO_CONFIG_DIGEST
    encoded = json.dumps(plan.model_dump(mode="json"), sort_keys=True).encode()
    return hashlib.sha256(encoded).hexdigest()


async def effective_plans(session: AsyncSession, *, config: EventConfig) -> list[EffectivePlan]:
    edits = {edit.plan_id: edit for edit in (await session.scalars(select(PlanEdit))).all()}
    plans: list[EffectivePlan] = []
    for plan in config.readiness.plans:
        edit = edits.pop(plan.id, None)
        if edit is not None and edit.config_digest == plan_digest(plan):
            plans.append(EffectivePlan(Plan.model_validate(edit.data), "edit"))
        else:
            plans.append(EffectivePlan(plan, "config", stale_edit=edit is not None))
    for edit in sorted(edits.values(), key=lambda row: row.plan_id):
        if edit.config_digest == NO_CONFIG_DIGEST:
            plans.append(EffectivePlan(Plan.model_validate(edit.data), "edit"))
    return plans


async def plan_edits(session: AsyncSession) -> dict[str, PlanEdit]:
    """Every stored run-time edit by plan id (who made it and when), stale ones included."""
    return {edit.plan_id: edit for edit in (await session.scalars(select(PlanEdit))).all()}


async def get_plan(session: AsyncSession, *, config: EventConfig, plan_id: str) -> EffectivePlan:
    for found in await effective_plans(session, config=config):
        if found.plan.id == plan_id:
            return found
    raise NotFoundError(_("There is no plan %(id)s.") % {"id": plan_id})


def parse_plan(data: dict[str, Any], *, plan_id: str) -> Plan:
    try:
        plan = Plan.model_validate({**data, "id": plan_id})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ValidationFailed(
            _("%(field)s: %(message)s") % {"field": where, "message": first["msg"]}
        ) from exc
    return plan


async def save_plan(
    session: AsyncSession,
    *,
    config: EventConfig,
    plan: Plan,
    actor: Actor,
    now: datetime,
    origin: RequestOrigin | None = None,
) -> EffectivePlan:
    configured = next((item for item in config.readiness.plans if item.id == plan.id), None)
    _check_references(config, plan)
    edit = await session.get(PlanEdit, plan.id)
    before = edit.data if edit is not None else None
    if edit is None:
        edit = PlanEdit(plan_id=plan.id, data={}, config_digest="", edited_at=now, edited_by="")
        session.add(edit)
    edit.data = plan.model_dump(mode="json")
    edit.config_digest = plan_digest(configured)
    edit.edited_at, edit.edited_by = now, actor.name
    await session.flush()
    await record_audit(
        session,
        actor=actor,
        action="readiness.plan_edited",
        target_type="plan",
        target_id=plan.id,
        at=now,
        before=before,
        after=edit.data,
        origin=origin,
    )
    return EffectivePlan(plan, "edit")


def _check_references(config: EventConfig, plan: Plan) -> None:
    services = {service.id for service in config.services}
    for field, ids in (
        ("trigger.services", plan.trigger.services),
        ("priorities", plan.priorities),
    ):
        for index, service_id in enumerate(ids):
            if service_id not in services:
                raise ValidationFailed(
                    _("%(field)s.%(index)d: no service has the id %(id)s.")
                    % {"field": field, "index": index, "id": service_id}
                )
    if plan.unit is not None and plan.unit not in {unit.id for unit in config.organisation.units}:
        raise ValidationFailed(_("unit: no unit has the id %(id)s.") % {"id": plan.unit})


def plan_matches(plan: Plan, *, services: list[str], sources: list[str], category: str) -> bool:
    trigger = plan.trigger
    return (
        bool(set(trigger.services) & set(services))
        or bool(set(trigger.sources) & set(sources))
        or category in {item.value for item in trigger.categories}
    )


async def attach_runbooks(
    session: AsyncSession,
    *,
    config: EventConfig,
    incident: Incident,
    sources: list[str],
    now: datetime,
    plans: list[EffectivePlan] | None = None,
) -> list[Checklist]:
    """Attach the runbook of every plan the incident matches (once per plan).

    ``plans``: the effective plans, when the caller has read them for many incidents.
    """
    if plans is None:
        plans = await effective_plans(session, config=config)
    matching = [
        effective.plan
        for effective in plans
        if plan_matches(
            effective.plan,
            services=list(incident.services),
            sources=sources,
            category=incident.category,
        )
    ]
    if not matching:
        return []
    existing = set(
        (
            await session.scalars(
                select(Checklist.plan_id).where(Checklist.incident_id == incident.id)
            )
        ).all()
    )
    return [
        await _attach(session, plan=plan, incident_id=incident.id, now=now)
        for plan in matching
        if plan.id not in existing
    ]


async def _attach(
    session: AsyncSession, *, plan: Plan, incident_id: int, now: datetime
) -> Checklist:
    checklist = Checklist(
        incident_id=incident_id, plan_id=plan.id, plan_name=plan.name, attached_at=now
    )
    session.add(checklist)
    await session.flush()
    for position, step in enumerate(plan.runbook, start=1):
        session.add(
            ChecklistStep(
                checklist_id=checklist.id,
                position=position,
                title=step.title,
                owner_role=step.owner_role,
                expected_minutes=step.expected_minutes,
            )
        )
    await session.flush()
    actor = Actor.system("readiness")
    await add_timeline_entry(
        session,
        incident_id=incident_id,
        kind=TimelineKind.NOTE,
        at=now,
        actor=actor,
        text=_("Runbook attached: %(plan)s") % {"plan": plan.name},
        data={"event": "runbook_attached", "plan_id": plan.id, "checklist_id": checklist.id},
    )
    await record_audit(
        session,
        actor=actor,
        action="readiness.runbook_attached",
        target_type="incident",
        target_id=str(incident_id),
        at=now,
        after={"plan_id": plan.id, "checklist_id": checklist.id, "steps": len(plan.runbook)},
    )
    queue_event(
        session,
        RunbookAttached(
            occurred_at=now, incident_id=incident_id, plan_id=plan.id, checklist_id=checklist.id
        ),
    )
    return checklist


async def checklists_of(
    session: AsyncSession, *, incident_id: int
) -> list[tuple[Checklist, list[ChecklistStep]]]:
    lists = (
        await session.scalars(
            select(Checklist).where(Checklist.incident_id == incident_id).order_by(Checklist.id)
        )
    ).all()
    found = []
    for checklist in lists:
        steps = (
            await session.scalars(
                select(ChecklistStep)
                .where(ChecklistStep.checklist_id == checklist.id)
                .order_by(ChecklistStep.position)
            )
        ).all()
        found.append((checklist, list(steps)))
    return found


async def tick_step(
    session: AsyncSession,
    *,
    incident_id: int,
    step_id: int,
    note: str | None,
    actor: Actor,
    now: datetime,
    origin: RequestOrigin | None = None,
) -> ChecklistStep:
    step = await session.get(ChecklistStep, step_id)
    checklist = None if step is None else await session.get(Checklist, step.checklist_id)
    if step is None or checklist is None or checklist.incident_id != incident_id:
        raise NotFoundError(_("There is no runbook step %(id)d.") % {"id": step_id})
    if step.done_at is not None:
        raise ConflictError(_("Runbook step %(id)d is done already.") % {"id": step_id})
    if note is not None and len(note) > MAX_TEXT_LENGTH:
        raise ValidationFailed(_("note: at most %(max)d characters.") % {"max": MAX_TEXT_LENGTH})
    step.done_at, step.done_by, step.note = now, actor.name, note
    await session.flush()
    await add_timeline_entry(
        session,
        incident_id=incident_id,
        kind=TimelineKind.NOTE,
        at=now,
        actor=actor,
        text=_("Runbook step done: %(step)s") % {"step": step.title},
        data={
            "event": "runbook_step_done",
            "plan_id": checklist.plan_id,
            "step_id": step.id,
            "position": step.position,
            "note": note,
        },
    )
    await record_audit(
        session,
        actor=actor,
        action="readiness.runbook_step_done",
        target_type="incident",
        target_id=str(incident_id),
        at=now,
        after={"plan_id": checklist.plan_id, "step_id": step.id, "note": note},
        origin=origin,
    )
    return step
