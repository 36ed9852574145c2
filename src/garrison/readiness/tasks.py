"""Readiness tasks: created, completed, cancelled, with evidence; reminders (đôn đốc);
readiness per unit and overall; the countdown to the event.

Reminders: once ``remind_hours_before`` the deadline ("due_soon"), once at the deadline
("overdue") and once ``escalate_hours_overdue`` later to the unit's leader ("escalated").
Each is recorded on the task, audited and published on the bus.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.audit.actor import Actor
from garrison.audit.service import record_audit
from garrison.auth.principal import RequestOrigin
from garrison.config import EventConfig
from garrison.errors import ConflictError, NotFoundError, ValidationFailed
from garrison.i18n import gettext as _
from garrison.incidents.outbox import queue_event
from garrison.readiness.events import ReadinessTaskReminder
from garrison.readiness.models import (
    MAX_TEXT_LENGTH,
    NAME_LENGTH,
    Evidence,
    ReadinessTask,
)

MAX_EVIDENCE_BYTES = 5 * 1024 * 1024
MAX_EVIDENCE_PER_TASK = 50
EVIDENCE_FOLDER = "readiness-evidence"


class TaskStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class NewTask:
    title: str
    unit_id: str
    deadline: datetime
    owner_person_id: str | None = None
    description: str = ""
    inspection_item_id: int | None = None


def task_snapshot(task: ReadinessTask) -> dict[str, Any]:
    return {
        "title": task.title,
        "unit_id": task.unit_id,
        "owner_person_id": task.owner_person_id,
        "deadline": task.deadline,
        "status": task.status,
    }


def _check_task(config: EventConfig, new: NewTask) -> None:
    if not new.title.strip() or len(new.title) > NAME_LENGTH:
        raise ValidationFailed(_("title: 1 to %(max)d characters.") % {"max": NAME_LENGTH})
    if len(new.description) > MAX_TEXT_LENGTH:
        raise ValidationFailed(
            _("description: at most %(max)d characters.") % {"max": MAX_TEXT_LENGTH}
        )
    if new.unit_id not in {unit.id for unit in config.organisation.units}:
        raise ValidationFailed(_("unit_id: no unit has the id %(id)s.") % {"id": new.unit_id})
    people = {person.id for person in config.organisation.people}
    if new.owner_person_id is not None and new.owner_person_id not in people:
        raise ValidationFailed(
            _("owner_person_id: no person has the id %(id)s.") % {"id": new.owner_person_id}
        )
    if new.deadline.tzinfo is None:
        raise ValidationFailed(_("deadline: give a time zone."))


async def create_task(
    session: AsyncSession,
    *,
    config: EventConfig,
    new: NewTask,
    actor: Actor,
    now: datetime,
    origin: RequestOrigin | None = None,
) -> ReadinessTask:
    _check_task(config, new)
    task = ReadinessTask(
        title=new.title.strip(),
        description=new.description,
        owner_person_id=new.owner_person_id,
        unit_id=new.unit_id,
        deadline=new.deadline,
        status=TaskStatus.OPEN.value,
        inspection_item_id=new.inspection_item_id,
        created_at=now,
        created_by=actor.name,
        updated_at=now,
    )
    session.add(task)
    await session.flush()
    await _audit(session, task, "created", actor=actor, now=now, before=None, origin=origin)
    return task


async def _audit(
    session: AsyncSession,
    task: ReadinessTask,
    event: str,
    *,
    actor: Actor,
    now: datetime,
    before: dict[str, Any] | None,
    origin: RequestOrigin | None = None,
) -> None:
    await record_audit(
        session,
        actor=actor,
        action=f"readiness.task_{event}",
        target_type="readiness_task",
        target_id=str(task.id),
        at=now,
        before=before,
        after=task_snapshot(task),
        origin=origin,
    )


async def get_task(session: AsyncSession, *, task_id: int) -> ReadinessTask:
    task = await session.get(ReadinessTask, task_id)
    if task is None:
        raise NotFoundError(_("There is no readiness task %(id)d.") % {"id": task_id})
    return task


async def list_tasks(
    session: AsyncSession, *, unit_id: str | None = None, status: str | None = None
) -> list[ReadinessTask]:
    query = select(ReadinessTask).order_by(ReadinessTask.deadline, ReadinessTask.id).limit(5000)
    if unit_id is not None:
        query = query.where(ReadinessTask.unit_id == unit_id)
    if status is not None:
        query = query.where(ReadinessTask.status == status)
    return list((await session.scalars(query)).all())


async def set_task_status(
    session: AsyncSession,
    *,
    task: ReadinessTask,
    status: TaskStatus,
    actor: Actor,
    now: datetime,
    origin: RequestOrigin | None = None,
) -> ReadinessTask:
    if task.status != TaskStatus.OPEN.value:
        raise ConflictError(
            _("Readiness task %(id)d is %(status)s already.")
            % {"id": task.id, "status": task.status}
        )
    before = task_snapshot(task)
    task.status = status.value
    if status == TaskStatus.DONE:
        task.completed_at, task.completed_by = now, actor.name
    task.updated_at = now
    await session.flush()
    await _audit(session, task, status.value, actor=actor, now=now, before=before, origin=origin)
    return task


def _safe_filename(name: str) -> str:
    cleaned = "".join(ch for ch in Path(name).name if ch.isprintable() and ch not in "/\\")
    if not cleaned or len(cleaned) > NAME_LENGTH:
        raise ValidationFailed(
            _("file: the name must have 1 to %(max)d characters.") % {"max": NAME_LENGTH}
        )
    return cleaned


async def add_evidence(
    session: AsyncSession,
    *,
    task: ReadinessTask,
    note: str,
    file: tuple[str, bytes] | None,
    data_dir: Path,
    actor: Actor,
    now: datetime,
    origin: RequestOrigin | None = None,
) -> Evidence:
    """A note and/or a file (at most ``MAX_EVIDENCE_BYTES``, kept under the data directory)."""
    if len(note) > MAX_TEXT_LENGTH:
        raise ValidationFailed(_("note: at most %(max)d characters.") % {"max": MAX_TEXT_LENGTH})
    if not note.strip() and file is None:
        raise ValidationFailed(_("note: give a note or a file as evidence."))
    count = len(
        (await session.scalars(select(Evidence.id).where(Evidence.task_id == task.id))).all()
    )
    if count >= MAX_EVIDENCE_PER_TASK:
        raise ConflictError(
            _("A task keeps at most %(max)d pieces of evidence.") % {"max": MAX_EVIDENCE_PER_TASK}
        )
    evidence = Evidence(
        task_id=task.id, note=note.strip(), size=0, added_at=now, added_by=actor.name
    )
    if file is not None:
        filename, content = file
        if len(content) > MAX_EVIDENCE_BYTES:
            raise ValidationFailed(_("file: at most %(max)d bytes.") % {"max": MAX_EVIDENCE_BYTES})
        evidence.filename = _safe_filename(filename)
        evidence.stored_name = uuid.uuid4().hex
        evidence.size = len(content)
        evidence.sha256 = hashlib.sha256(content).hexdigest()
        folder = data_dir / EVIDENCE_FOLDER
        folder.mkdir(parents=True, exist_ok=True)
        (folder / evidence.stored_name).write_bytes(content)
    session.add(evidence)
    await session.flush()
    await record_audit(
        session,
        actor=actor,
        action="readiness.evidence_added",
        target_type="readiness_task",
        target_id=str(task.id),
        at=now,
        after={
            "evidence_id": evidence.id,
            "filename": evidence.filename,
            "sha256": evidence.sha256,
        },
        origin=origin,
    )
    return evidence


async def evidence_of(session: AsyncSession, *, task_id: int) -> list[Evidence]:
    query = select(Evidence).where(Evidence.task_id == task_id).order_by(Evidence.id)
    return list((await session.scalars(query)).all())


def evidence_path(evidence: Evidence, *, data_dir: Path) -> Path:
    if evidence.stored_name is None:
        raise NotFoundError(_("This evidence has no file."))
    return data_dir / EVIDENCE_FOLDER / evidence.stored_name


def reminder_stage(task: ReadinessTask, *, config: EventConfig, now: datetime) -> str | None:
    """The reminder now due for an open task, if any: due_soon, overdue or escalated."""
    if task.status != TaskStatus.OPEN.value:
        return None
    section = config.readiness
    if task.escalated_at is None and now >= task.deadline + timedelta(
        hours=section.escalate_hours_overdue
    ):
        return "escalated"
    if task.overdue_at is None and task.escalated_at is None and now >= task.deadline:
        return "overdue"
    soon = task.deadline - timedelta(hours=section.remind_hours_before)
    if task.reminded_at is None and task.overdue_at is None and soon <= now < task.deadline:
        return "due_soon"
    return None


async def tasks_to_remind(session: AsyncSession, *, now: datetime, horizon: timedelta) -> list[int]:
    query = select(ReadinessTask.id).where(
        ReadinessTask.status == TaskStatus.OPEN.value,
        ReadinessTask.escalated_at.is_(None),
        ReadinessTask.deadline <= now + horizon,
        or_(ReadinessTask.reminded_at.is_(None), ReadinessTask.deadline <= now),
    )
    return list((await session.scalars(query.order_by(ReadinessTask.id).limit(500))).all())


async def remind(
    session: AsyncSession, *, task: ReadinessTask, config: EventConfig, now: datetime
) -> str | None:
    stage = reminder_stage(task, config=config, now=now)
    if stage is None:
        return None
    leader = None
    if stage == "escalated":
        task.escalated_at = now
        leader = next((u.leader for u in config.organisation.units if u.id == task.unit_id), None)
    elif stage == "overdue":
        task.overdue_at = now
    else:
        task.reminded_at = now
    await session.flush()
    await record_audit(
        session,
        actor=Actor.system("readiness"),
        action=f"readiness.task_{stage}",
        target_type="readiness_task",
        target_id=str(task.id),
        at=now,
        after={**task_snapshot(task), "leader_person_id": leader},
    )
    queue_event(
        session,
        ReadinessTaskReminder(
            occurred_at=now,
            task_id=task.id,
            title=task.title,
            unit_id=task.unit_id,
            deadline=task.deadline,
            stage=stage,
            owner_person_id=task.owner_person_id,
            leader_person_id=leader,
        ),
    )
    return stage


@dataclass(frozen=True, slots=True)
class Readiness:
    unit_id: str | None  # None: overall
    total: int
    done: int

    @property
    def percent(self) -> float:
        return round(self.done / self.total * 100, 1) if self.total else 100.0


def readiness_of(tasks: list[ReadinessTask], units: list[str]) -> list[Readiness]:
    """Per unit (every configured unit) then overall; cancelled tasks do not count."""
    counted = [task for task in tasks if task.status != TaskStatus.CANCELLED.value]
    result = []
    for unit_id in units:
        mine = [task for task in counted if task.unit_id == unit_id]
        done = sum(1 for task in mine if task.status == TaskStatus.DONE.value)
        result.append(Readiness(unit_id, len(mine), done))
    done_all = sum(1 for task in counted if task.status == TaskStatus.DONE.value)
    result.append(Readiness(None, len(counted), done_all))
    return result


def countdown_seconds(config: EventConfig, *, now: datetime) -> float:
    """Seconds until the event's operation window opens (0 once it has)."""
    return max(0.0, (config.event.start - now).total_seconds())
