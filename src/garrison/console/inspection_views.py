"""The inspection pages: inspections carried out, starting one from a configured checklist,
recording pass or fail with evidence per item, and finishing it.

A failed item becomes a readiness task of the unit (``garrison.readiness.inspections``);
the page links it. Reading needs ``readiness:read``, every change ``readiness:manage``.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.audit.actor import Actor
from garrison.auth.permissions import Permission
from garrison.auth.principal import Principal
from garrison.config import EventConfig
from garrison.console.form_posts import Change, redirect_or_error_page
from garrison.console.readiness_pages import (
    ReadinessConfig,
    ReadinessManagerPage,
    ReadinessPage,
    notice,
)
from garrison.incidents.outbox import commit_and_publish
from garrison.readiness import inspections as inspection_service
from garrison.readiness.models import MAX_TEXT_LENGTH, Inspection, InspectionItem
from garrison.runtime.context import AppContext
from garrison.web.dependencies import Context, DbSession, Origin
from garrison.web.templating import render

router = APIRouter(include_in_schema=False)

RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Identifier = Annotated[str, Form(max_length=64)]
Done = Annotated[str, Query(max_length=64)]


def tally(items: list[InspectionItem]) -> dict[str, int]:
    counts = {"pass": 0, "fail": 0, "pending": 0}
    for item in items:
        counts[item.result] = counts.get(item.result, 0) + 1
    return counts


async def _list_page(
    request: Request,
    session: AsyncSession,
    *,
    principal: Principal,
    config: EventConfig,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    rows = []
    for inspection in await inspection_service.list_inspections(session):
        items = await inspection_service.items_of(session, inspection_id=inspection.id)
        rows.append((inspection, tally(items)))
    values: dict[str, Any] = {
        "section": "inspections",
        "inspections": rows,
        "checklists": config.readiness.inspections,
        "units": config.organisation.units,
        "unit_names": {unit.id: unit.name for unit in config.organisation.units},
        "can_manage": principal.can(Permission.READINESS_MANAGE),
        "timezone": config.event.timezone,
        "error": error,
    }
    return render(request, "console/inspections.html", values, status_code=status_code)


@router.get("/readiness/inspections", response_class=HTMLResponse)
async def inspections_page(
    request: Request, principal: ReadinessPage, config: ReadinessConfig, session: DbSession
) -> HTMLResponse:
    return await _list_page(request, session, principal=principal, config=config)


@router.post("/readiness/inspections", response_class=HTMLResponse)
async def start_inspection(
    request: Request,
    principal: ReadinessManagerPage,
    config: ReadinessConfig,
    session: DbSession,
    context: Context,
    origin: Origin,
    checklist_id: Identifier,
    unit_id: Identifier,
) -> Response:
    async def start() -> int:
        inspection = await inspection_service.start_inspection(
            session,
            config=config,
            checklist_id=checklist_id,
            unit_id=unit_id,
            actor=Actor.from_principal(principal),
            now=context.clock.now(),
            origin=origin,
        )
        return inspection.id

    return await redirect_or_error_page(
        session, start,
        location=lambda new_id: f"/readiness/inspections/{new_id}?done=inspection_started",
        error_page=partial(_list_page, request, session, principal=principal, config=config),
    )  # fmt: skip


async def _inspection_page(
    request: Request,
    session: AsyncSession,
    *,
    principal: Principal,
    config: EventConfig,
    inspection: Inspection,
    done: str = "",
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    items = await inspection_service.items_of(session, inspection_id=inspection.id)
    values: dict[str, Any] = {
        "section": "inspections",
        "inspection": inspection,
        "items": items,
        "counts": tally(items),
        "unit_name": next(
            (unit.name for unit in config.organisation.units if unit.id == inspection.unit_id),
            inspection.unit_id,
        ),
        "can_manage": principal.can(Permission.READINESS_MANAGE),
        "max_text": MAX_TEXT_LENGTH,
        "timezone": config.event.timezone,
        "notice": notice(done),
        "error": error,
    }
    return render(request, "console/inspection.html", values, status_code=status_code)


@router.get("/readiness/inspections/{inspection_id}", response_class=HTMLResponse)
async def inspection_page(
    request: Request,
    principal: ReadinessPage,
    config: ReadinessConfig,
    inspection_id: RowId,
    session: DbSession,
    done: Done = "",
) -> HTMLResponse:
    inspection = await inspection_service.get_inspection(session, inspection_id=inspection_id)
    return await _inspection_page(
        request, session, principal=principal, config=config, inspection=inspection, done=done
    )


async def _change(
    request: Request,
    session: AsyncSession,
    context: AppContext,
    *,
    principal: Principal,
    config: EventConfig,
    inspection: Inspection,
    change: Change,
    location: str,
) -> Response:
    async def error_page(*, error: str, status_code: int) -> Response:
        await session.refresh(inspection)
        return await _inspection_page(
            request, session, principal=principal, config=config, inspection=inspection,
            error=error, status_code=status_code,
        )  # fmt: skip

    return await redirect_or_error_page(
        session, change, location=location, error_page=error_page,
        # A failed item makes a task, whose events go out after the commit.
        commit=lambda: commit_and_publish(session, context.bus),
    )  # fmt: skip


@router.post("/readiness/inspections/{inspection_id}/items/{item_id}", response_class=HTMLResponse)
async def record_item(
    request: Request,
    principal: ReadinessManagerPage,
    config: ReadinessConfig,
    inspection_id: RowId,
    item_id: RowId,
    session: DbSession,
    context: Context,
    origin: Origin,
    result: Annotated[Literal["pass", "fail"], Form()],
    evidence: Annotated[str, Form(max_length=MAX_TEXT_LENGTH)] = "",
) -> Response:
    """Pass or fail one item with its evidence; a failed item becomes a task."""
    inspection = await inspection_service.get_inspection(session, inspection_id=inspection_id)
    done = "item_recorded" if result == "pass" else "item_failed"
    return await _change(
        request, session, context, principal=principal, config=config, inspection=inspection,
        change=lambda: inspection_service.record_item(
            session, config=config, inspection=inspection, item_id=item_id,
            passed=result == "pass", evidence=evidence.strip(),
            actor=Actor.from_principal(principal), now=context.clock.now(), origin=origin,
        ),
        location=f"/readiness/inspections/{inspection.id}?done={done}#item-{item_id}",
    )  # fmt: skip


@router.post("/readiness/inspections/{inspection_id}/finish", response_class=HTMLResponse)
async def finish_inspection(
    request: Request,
    principal: ReadinessManagerPage,
    config: ReadinessConfig,
    inspection_id: RowId,
    session: DbSession,
    context: Context,
    origin: Origin,
) -> Response:
    inspection = await inspection_service.get_inspection(session, inspection_id=inspection_id)
    return await _change(
        request, session, context, principal=principal, config=config, inspection=inspection,
        change=lambda: inspection_service.finish_inspection(
            session, inspection=inspection, actor=Actor.from_principal(principal),
            now=context.clock.now(), origin=origin,
        ),
        location=f"/readiness/inspections/{inspection.id}?done=inspection_finished",
    )  # fmt: skip
