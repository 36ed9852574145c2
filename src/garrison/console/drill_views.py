"""The drills pages: the configured drill plans, start one, the runs with their state, cancel
a running one (``drill:manage``); a run's results page and its JSON download.

The backend's rules apply: organisers (``drill:manage``) see drills while they run, so an
unannounced drill stays unknown to its participants beyond the drill badge on its
incidents; report readers (``report:read``) see the results once the drill is over.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.audit.actor import Actor
from garrison.auth.permissions import Permission
from garrison.auth.principal import Principal
from garrison.config import EventConfig
from garrison.console.dependencies import DrillManagerPage, OptionalEventConfig, ReportPage
from garrison.console.drill_results import DrillResults, drill_results, results_document
from garrison.console.form_posts import redirect_or_error_page
from garrison.drills import service
from garrison.drills.models import ID_LENGTH, DrillRun
from garrison.errors import ConflictError, PermissionDenied
from garrison.event import service as event_service
from garrison.i18n import gettext as _
from garrison.incidents.access import viewer_for
from garrison.incidents.outbox import commit_and_publish
from garrison.web.dependencies import Context, DbSession, Origin
from garrison.web.templating import render

router = APIRouter(include_in_schema=False)

RunId = Annotated[int, Path(ge=1, le=2**31 - 1)]
# What a redirect after an action says on the next page (a fixed word, never free text).
Done = Annotated[str | None, Query(max_length=16)]


async def _timezone(session: AsyncSession, config: EventConfig | None) -> str:
    if config is not None:
        return config.event.timezone
    event = await event_service.find_event(session)
    return event.timezone if event else "UTC"


def _required(config: EventConfig | None) -> EventConfig:
    if config is None:
        raise ConflictError(
            _("Garrison was started without a configuration file: drill plans come from it.")
        )
    return config


async def _runs(session: AsyncSession) -> list[tuple[DrillRun, int, int]]:
    """Every run, newest first, with how many of its injects were injected, of how many."""
    rows = []
    for run in reversed(await service.list_runs(session)):
        injects = await service.injects_of(session, run_id=run.id)
        rows.append((run, sum(i.injected_at is not None for i in injects), len(injects)))
    return rows


async def _page(
    request: Request,
    session: AsyncSession,
    *,
    config: EventConfig | None,
    done: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    values: dict[str, Any] = {
        "configured": config is not None,
        "plans": config.readiness.drills if config is not None else (),
        "runs": await _runs(session),
        "timezone": await _timezone(session, config),
        "done": done,
        "error": error,
    }
    return render(request, "console/drills.html", values, status_code=status_code)


@router.get("/drills", response_class=HTMLResponse)
async def drills_page(
    request: Request,
    _principal: DrillManagerPage,
    session: DbSession,
    config: OptionalEventConfig,
    done: Done = None,
) -> HTMLResponse:
    return await _page(request, session, config=config, done=done)


@router.post("/drills/start", response_class=HTMLResponse)
async def start(
    request: Request,
    principal: DrillManagerPage,
    session: DbSession,
    context: Context,
    config: OptionalEventConfig,
    origin: Origin,
    plan_id: Annotated[str, Form(max_length=ID_LENGTH)],
) -> Response:
    """Start a configured drill plan now; the drill worker injects on schedule."""

    async def change() -> int:
        run = await service.start_drill(
            session,
            config=_required(config),
            plan_id=plan_id,
            actor=Actor.from_principal(principal),
            now=context.clock.now(),
            origin=origin,
        )
        return run.id

    return await redirect_or_error_page(
        session, change, location=lambda run_id: f"/drills/{run_id}?done=started",
        error_page=partial(_page, request, session, config=config),
        commit=lambda: commit_and_publish(session, context.bus),
    )  # fmt: skip


@router.post("/drills/{run_id}/cancel", response_class=HTMLResponse)
async def cancel(
    request: Request,
    run_id: RunId,
    principal: DrillManagerPage,
    session: DbSession,
    context: Context,
    config: OptionalEventConfig,
    origin: Origin,
) -> Response:
    run = await service.get_run(session, run_id=run_id)

    async def change() -> None:
        await service.cancel_drill(
            session,
            run=run,
            actor=Actor.from_principal(principal),
            now=context.clock.now(),
            origin=origin,
        )

    return await redirect_or_error_page(
        session, change, location=f"/drills/{run_id}?done=cancelled",
        error_page=partial(_page, request, session, config=config),
    )  # fmt: skip


async def _readable_results(
    session: AsyncSession, *, principal: Principal, run_id: int
) -> DrillResults:
    """The results if ``principal`` may read them: organisers while the drill runs, report
    readers once it is over (as ``GET /api/v1/drills/{id}/results``)."""
    run = await service.get_run(session, run_id=run_id)
    # A token's scopes may be narrower than its owner's role: ask the principal.
    if run.status == service.RUNNING and not principal.can(Permission.DRILL_MANAGE):
        raise PermissionDenied(_("The results of a running drill are for its organisers."))
    return await drill_results(session, run=run, viewer=await viewer_for(session, principal))


@router.get("/drills/{run_id}", response_class=HTMLResponse)
async def results_page(
    request: Request,
    run_id: RunId,
    principal: ReportPage,
    session: DbSession,
    context: Context,
    config: OptionalEventConfig,
    done: Done = None,
) -> HTMLResponse:
    results = await _readable_results(session, principal=principal, run_id=run_id)
    values: dict[str, Any] = {
        "results": results,
        "run": results.run,
        "can_manage": principal.can(Permission.DRILL_MANAGE),
        "running": results.run.status == service.RUNNING,
        "now": context.clock.now(),
        "timezone": await _timezone(session, config),
        "done": done,
    }
    return render(request, "console/drill.html", values)


@router.get("/drills/{run_id}/results.json")
async def results_download(run_id: RunId, principal: ReportPage, session: DbSession) -> Response:
    """The results as JSON, in the API's shape, as a file."""
    results = await _readable_results(session, principal=principal, run_id=run_id)
    return JSONResponse(
        results_document(results),
        headers={
            "Content-Disposition": f'attachment; filename="drill-{run_id}-results.json"',
            "Cache-Control": "no-store",
        },
    )
