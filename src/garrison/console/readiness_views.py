"""The readiness page: the countdown to the event, readiness per unit and overall, and the
readiness tasks (filters, create, complete, cancel, evidence notes and files).

Every change calls ``garrison.readiness.tasks`` (which audits it) and needs
``readiness:manage``; reading needs ``readiness:read``. Evidence files keep the API's limit
(``MAX_EVIDENCE_BYTES``) and are always served as downloads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Path, Query, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.audit.actor import Actor
from garrison.auth.permissions import Permission
from garrison.auth.principal import Principal, RequestOrigin
from garrison.config import EventConfig
from garrison.console.form_posts import Change, redirect_or_error_page
from garrison.console.readiness_pages import (
    ReadinessConfig,
    ReadinessManagerPage,
    ReadinessPage,
    local_time,
    notice,
    task_status_labels,
)
from garrison.errors import NotFoundError
from garrison.i18n import gettext as _
from garrison.readiness import inspections as inspection_service
from garrison.readiness import tasks as task_service
from garrison.readiness.models import MAX_TEXT_LENGTH, NAME_LENGTH, Evidence, ReadinessTask
from garrison.runtime.context import AppContext
from garrison.web.dependencies import Context, DbSession, Origin
from garrison.web.templating import render

router = APIRouter(include_in_schema=False)

RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Filter = Annotated[str, Query(max_length=64)]
Identifier = Annotated[str, Form(max_length=64)]
Back = Annotated[Literal["task", "list"], Form()]


@dataclass(frozen=True, slots=True)
class TaskFilter:
    unit: str = ""
    status: str = ""
    owner: str = ""
    overdue: bool = False


def is_overdue(task: ReadinessTask, now: datetime) -> bool:
    return task.status == task_service.TaskStatus.OPEN.value and task.deadline <= now


def filter_tasks(
    tasks: list[ReadinessTask], wanted: TaskFilter, *, now: datetime
) -> list[ReadinessTask]:
    """The tasks the filters keep; a blank filter keeps everything."""
    return [
        task
        for task in tasks
        if (not wanted.unit or task.unit_id == wanted.unit)
        and (not wanted.status or task.status == wanted.status)
        and (not wanted.owner or task.owner_person_id == wanted.owner)
        and (not wanted.overdue or is_overdue(task, now))
    ]


def countdown_parts(seconds: float) -> tuple[int, int, int]:
    """Days, hours and minutes left (rounded down)."""
    minutes = int(seconds) // 60
    return minutes // (24 * 60), minutes // 60 % 24, minutes % 60


def _names(config: EventConfig) -> dict[str, dict[str, str]]:
    return {
        "units": {unit.id: unit.name for unit in config.organisation.units},
        "people": {person.id: person.name for person in config.organisation.people},
    }


async def _list_page(
    request: Request,
    session: AsyncSession,
    context: AppContext,
    *,
    principal: Principal,
    config: EventConfig,
    wanted: TaskFilter,
    done: str = "",
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    now = context.clock.now()
    tasks = await task_service.list_tasks(session)
    units = [unit.id for unit in config.organisation.units]
    figures = task_service.readiness_of(tasks, units)
    left = task_service.countdown_seconds(config, now=now)
    values: dict[str, Any] = {
        "section": "tasks",
        "countdown": countdown_parts(left),
        "started": left == 0,
        "event_start": config.event.start,
        "units_readiness": figures[:-1],
        "overall": figures[-1],
        "tasks": filter_tasks(tasks, wanted, now=now),
        "filters": wanted,
        "names": _names(config),
        "units": config.organisation.units,
        "people": config.organisation.people,
        "statuses": task_status_labels(),
        "can_manage": principal.can(Permission.READINESS_MANAGE),
        "now": now,
        "timezone": config.event.timezone,
        "notice": notice(done),
        "error": error,
        "limits": {"title": NAME_LENGTH, "text": MAX_TEXT_LENGTH},
    }
    return render(request, "console/readiness.html", values, status_code=status_code)


@router.get("/readiness", response_class=HTMLResponse)
async def readiness_page(
    request: Request,
    principal: ReadinessPage,
    config: ReadinessConfig,
    session: DbSession,
    context: Context,
    unit: Filter = "",
    status: Filter = "",
    owner: Filter = "",
    overdue: Filter = "",
    done: Filter = "",
) -> HTMLResponse:
    wanted = TaskFilter(
        unit=unit,
        status=status if status in task_status_labels() else "",
        owner=owner,
        overdue=bool(overdue),
    )
    return await _list_page(
        request, session, context, principal=principal, config=config, wanted=wanted, done=done
    )


@router.post("/readiness/tasks", response_class=HTMLResponse)
async def create_task(
    request: Request,
    principal: ReadinessManagerPage,
    config: ReadinessConfig,
    session: DbSession,
    context: Context,
    origin: Origin,
    title: Annotated[str, Form(max_length=NAME_LENGTH)],
    unit_id: Identifier,
    deadline: Annotated[str, Form(max_length=40)],
    owner_person_id: Identifier = "",
    description: Annotated[str, Form(max_length=MAX_TEXT_LENGTH)] = "",
) -> Response:
    async def create() -> int:
        task = await task_service.create_task(
            session,
            config=config,
            new=task_service.NewTask(
                title=title,
                unit_id=unit_id,
                deadline=local_time(deadline, timezone=config.event.timezone, field="deadline"),
                owner_person_id=owner_person_id or None,
                description=description,
            ),
            actor=Actor.from_principal(principal),
            now=context.clock.now(),
            origin=origin,
        )
        return task.id

    return await redirect_or_error_page(
        session, create,
        location=lambda task_id: f"/readiness?done=task_created#task-{task_id}",
        error_page=partial(
            _list_page, request, session, context, principal=principal, config=config,
            wanted=TaskFilter(),
        ),
    )  # fmt: skip


async def _task_page(
    request: Request,
    session: AsyncSession,
    context: AppContext,
    *,
    principal: Principal,
    config: EventConfig,
    task: ReadinessTask,
    done: str = "",
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    now = context.clock.now()
    item = (
        await inspection_service.get_item(session, item_id=task.inspection_item_id)
        if task.inspection_item_id is not None
        else None
    )
    values: dict[str, Any] = {
        "section": "tasks",
        "task": task,
        "overdue": is_overdue(task, now),
        "evidence": await task_service.evidence_of(session, task_id=task.id),
        "inspection_item": item,
        "names": _names(config),
        "statuses": task_status_labels(),
        "can_manage": principal.can(Permission.READINESS_MANAGE),
        "max_evidence_bytes": task_service.MAX_EVIDENCE_BYTES,
        "now": now,
        "timezone": config.event.timezone,
        "notice": notice(done),
        "error": error,
    }
    return render(request, "console/readiness_task.html", values, status_code=status_code)


@router.get("/readiness/tasks/{task_id}", response_class=HTMLResponse)
async def task_page(
    request: Request,
    principal: ReadinessPage,
    config: ReadinessConfig,
    task_id: RowId,
    session: DbSession,
    context: Context,
    done: Filter = "",
) -> HTMLResponse:
    task = await task_service.get_task(session, task_id=task_id)
    return await _task_page(
        request, session, context, principal=principal, config=config, task=task, done=done
    )


async def _task_change(
    request: Request,
    session: AsyncSession,
    context: AppContext,
    *,
    principal: Principal,
    config: EventConfig,
    task: ReadinessTask,
    change: Change,
    done: str,
    back: str = "task",
) -> Response:
    async def error_page(*, error: str, status_code: int) -> Response:
        await session.refresh(task)
        return await _task_page(
            request, session, context, principal=principal, config=config, task=task,
            error=error, status_code=status_code,
        )  # fmt: skip

    location = (
        f"/readiness?done={done}#task-{task.id}"
        if back == "list"
        else f"/readiness/tasks/{task.id}?done={done}"
    )
    return await redirect_or_error_page(session, change, location=location, error_page=error_page)


async def _set_status(
    request: Request,
    session: AsyncSession,
    context: AppContext,
    *,
    principal: Principal,
    config: EventConfig,
    task_id: int,
    status: task_service.TaskStatus,
    origin: RequestOrigin,
    back: str,
) -> Response:
    task = await task_service.get_task(session, task_id=task_id)
    done = "task_done" if status == task_service.TaskStatus.DONE else "task_cancelled"
    return await _task_change(
        request, session, context, principal=principal, config=config, task=task,
        change=lambda: task_service.set_task_status(
            session, task=task, status=status, actor=Actor.from_principal(principal),
            now=context.clock.now(), origin=origin,
        ),
        done=done, back=back,
    )  # fmt: skip


@router.post("/readiness/tasks/{task_id}/complete", response_class=HTMLResponse)
async def complete_task(
    request: Request,
    principal: ReadinessManagerPage,
    config: ReadinessConfig,
    task_id: RowId,
    session: DbSession,
    context: Context,
    origin: Origin,
    back: Back = "task",
) -> Response:
    return await _set_status(
        request, session, context, principal=principal, config=config, task_id=task_id,
        status=task_service.TaskStatus.DONE, origin=origin, back=back,
    )  # fmt: skip


@router.post("/readiness/tasks/{task_id}/cancel", response_class=HTMLResponse)
async def cancel_task(
    request: Request,
    principal: ReadinessManagerPage,
    config: ReadinessConfig,
    task_id: RowId,
    session: DbSession,
    context: Context,
    origin: Origin,
    back: Back = "task",
) -> Response:
    return await _set_status(
        request, session, context, principal=principal, config=config, task_id=task_id,
        status=task_service.TaskStatus.CANCELLED, origin=origin, back=back,
    )  # fmt: skip


@router.post("/readiness/tasks/{task_id}/evidence", response_class=HTMLResponse)
async def add_evidence(
    request: Request,
    principal: ReadinessManagerPage,
    config: ReadinessConfig,
    task_id: RowId,
    session: DbSession,
    context: Context,
    origin: Origin,
    note: Annotated[str, Form(max_length=MAX_TEXT_LENGTH)] = "",
    file: UploadFile | None = None,
) -> Response:
    """A note and/or a file; a file input left empty sends no file."""
    task = await task_service.get_task(session, task_id=task_id)
    upload = None
    if file is not None and (file.filename or file.size):
        # One byte over the limit is enough for the service to refuse it.
        upload = (file.filename or "evidence", await file.read(task_service.MAX_EVIDENCE_BYTES + 1))
    return await _task_change(
        request, session, context, principal=principal, config=config, task=task,
        change=lambda: task_service.add_evidence(
            session, task=task, note=note, file=upload, data_dir=context.settings.data_dir,
            actor=Actor.from_principal(principal), now=context.clock.now(), origin=origin,
        ),
        done="evidence_added",
    )  # fmt: skip


@router.get("/readiness/evidence/{evidence_id}")
async def evidence_file(
    _principal: ReadinessPage, evidence_id: RowId, session: DbSession, context: Context
) -> FileResponse:
    evidence = await session.get(Evidence, evidence_id)
    if evidence is None:
        raise NotFoundError(_("There is no evidence %(id)d.") % {"id": evidence_id})
    path = task_service.evidence_path(evidence, data_dir=context.settings.data_dir)
    if not path.is_file():
        raise NotFoundError(_("The evidence's file is missing from the data directory."))
    return FileResponse(
        path,
        filename=evidence.filename or "evidence",
        media_type="application/octet-stream",
        content_disposition_type="attachment",
    )
