"""Drills over HTTP: start, list, cancel (``drill:manage``, so that an unannounced drill stays
unknown to participants), results (``drill:manage`` while running, ``report:read`` after)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from garrison.audit.actor import Actor
from garrison.auth.dependencies import require
from garrison.auth.permissions import Permission
from garrison.auth.principal import Principal
from garrison.drills import service
from garrison.drills.models import DrillRun
from garrison.drills.schemas import DrillIn, DrillOut, DrillResultsOut, InjectOut, InjectScoreOut
from garrison.duty.dependencies import EventConfiguration
from garrison.errors import PermissionDenied
from garrison.i18n import gettext as _
from garrison.incidents.outbox import commit_and_publish
from garrison.web.dependencies import Context, DbSession, Origin

router = APIRouter(tags=["drills"])

DrillManager = Annotated[Principal, Depends(require(Permission.DRILL_MANAGE))]
ReportReader = Annotated[Principal, Depends(require(Permission.REPORT_READ))]
RunId = Annotated[int, Path(ge=1, le=2**31 - 1)]


async def _out(session: DbSession, run: DrillRun) -> DrillOut:
    injects = await service.injects_of(session, run_id=run.id)
    return DrillOut(
        id=run.id,
        plan_id=run.plan_id,
        name=run.name,
        announced=run.announced,
        notify_leadership=run.notify_leadership,
        status=run.status,
        started_at=run.started_at,
        started_by=run.started_by,
        finished_at=run.finished_at,
        injects=[InjectOut.model_validate(row, from_attributes=True) for row in injects],
    )


@router.post("/drills", response_model=DrillOut, status_code=201)
async def start(
    principal: DrillManager,
    body: DrillIn,
    config: EventConfiguration,
    context: Context,
    session: DbSession,
    origin: Origin,
) -> DrillOut:
    """Start a configured drill plan now; the drill worker injects on schedule."""
    run = await service.start_drill(
        session,
        config=config,
        plan_id=body.plan_id,
        actor=Actor.from_principal(principal),
        now=context.clock.now(),
        origin=origin,
    )
    await commit_and_publish(session, context.bus)
    return await _out(session, run)


@router.get("/drills", response_model=list[DrillOut])
async def list_all(_p: DrillManager, session: DbSession) -> list[DrillOut]:
    return [await _out(session, run) for run in await service.list_runs(session)]


@router.post("/drills/{run_id}/cancel", response_model=DrillOut)
async def cancel(
    principal: DrillManager, run_id: RunId, context: Context, session: DbSession, origin: Origin
) -> DrillOut:
    run = await service.get_run(session, run_id=run_id)
    await service.cancel_drill(
        session,
        run=run,
        actor=Actor.from_principal(principal),
        now=context.clock.now(),
        origin=origin,
    )
    await session.commit()
    return await _out(session, run)


@router.get("/drills/{run_id}/results", response_model=DrillResultsOut)
async def results(principal: ReportReader, run_id: RunId, session: DbSession) -> DrillResultsOut:
    """Scores per inject, per post and overall."""
    run = await service.get_run(session, run_id=run_id)
    # A token's scopes may be narrower than its owner's role: ask the principal.
    if run.status == service.RUNNING and not principal.can(Permission.DRILL_MANAGE):
        raise PermissionDenied(_("The results of a running drill are for its organisers."))
    score = await service.drill_score(session, run_id=run.id)
    return DrillResultsOut(
        drill=await _out(session, run),
        injects=[
            InjectScoreOut.model_validate(item, from_attributes=True) for item in score.injects
        ],
        per_post=score.per_post,
        overall=score.overall,
    )
