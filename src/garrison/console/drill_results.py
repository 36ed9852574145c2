"""The results of a drill as the console shows them: per inject what was injected when, the
time of each stage of the response against its target, the incident it became (only when
the reader may see that incident), and the scores per inject, per post and overall.

Scores come from ``garrison.drills.scoring`` over ``garrison.drills.service``'s outcomes,
so the page, its JSON download and the API agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.drills import service
from garrison.drills.models import DrillInjectRecord, DrillRun
from garrison.drills.schemas import DrillOut, DrillResultsOut, InjectOut, InjectScoreOut
from garrison.drills.scoring import InjectOutcome, InjectScore, score_drill
from garrison.incidents.access import Viewer, visible_to
from garrison.incidents.models import Incident

# The stages of a response, in order; "detect" runs from the inject, the others from the
# incident's opening (as ``garrison.drills.scoring`` measures them).
STAGES = ("detect", "acknowledge", "mitigate", "resolve")


@dataclass(frozen=True, slots=True)
class Stage:
    name: str
    at: datetime | None
    seconds: float | None
    target_minutes: float | None
    met: bool | None  # None: no target for this stage


@dataclass(frozen=True, slots=True)
class InjectResult:
    record: DrillInjectRecord
    post: str | None
    incident_id: int | None  # None when there is none or the reader may not see it
    stages: tuple[Stage, ...]
    expected_plan: str | None
    plan_met: bool | None
    score: float


@dataclass(frozen=True, slots=True)
class DrillResults:
    run: DrillRun
    injects: tuple[InjectResult, ...]
    per_post: dict[str, float]
    overall: float | None


def _stages(outcome: InjectOutcome, score: InjectScore) -> tuple[Stage, ...]:
    times = {
        "detect": outcome.opened_at,
        "acknowledge": outcome.acknowledged_at,
        "mitigate": outcome.mitigated_at,
        "resolve": outcome.resolved_at,
    }
    return tuple(
        Stage(
            name=name,
            at=times[name],
            seconds=score.seconds.get(name),
            target_minutes=outcome.targets.get(name),
            met=score.met.get(name),
        )
        for name in STAGES
    )


async def _incident_ids(
    session: AsyncSession, records: list[DrillInjectRecord]
) -> dict[int, int | None]:
    """Inject position -> its incident (a detection inject's once the incident worker opens it)."""
    found: dict[int, int | None] = {}
    for record in records:
        incident_id = record.incident_id
        if incident_id is None and record.kind == "detection" and record.error is None:
            incident_id = await service.detection_incident_id(session, record=record)
        found[record.position] = incident_id
    return found


async def _visible(session: AsyncSession, ids: set[int], viewer: Viewer) -> set[int]:
    if not ids:
        return set()
    query = select(Incident.id).where(Incident.id.in_(sorted(ids)), visible_to(viewer))
    return set((await session.scalars(query)).all())


async def drill_results(session: AsyncSession, *, run: DrillRun, viewer: Viewer) -> DrillResults:
    records = await service.injects_of(session, run_id=run.id)
    outcomes = await service.drill_outcomes(session, run_id=run.id)
    score = score_drill(outcomes)
    incidents = await _incident_ids(session, records)
    visible = await _visible(session, {i for i in incidents.values() if i is not None}, viewer)
    injects = []
    for record, outcome, scored in zip(records, outcomes, score.injects, strict=True):
        incident_id = incidents[record.position]
        injects.append(
            InjectResult(
                record=record,
                post=outcome.post,
                incident_id=incident_id if incident_id in visible else None,
                stages=_stages(outcome, scored),
                expected_plan=outcome.expected_plan,
                plan_met=scored.met.get("runbook"),
                score=scored.score,
            )
        )
    return DrillResults(
        run=run, injects=tuple(injects), per_post=score.per_post, overall=score.overall
    )


def results_document(results: DrillResults) -> dict[str, Any]:
    """The results in the API's shape (``DrillResultsOut``); hidden incidents left out."""
    run = results.run
    injects = [
        InjectOut(
            position=item.record.position,
            kind=item.record.kind,
            title=item.record.title,
            due_at=item.record.due_at,
            injected_at=item.record.injected_at,
            incident_id=item.incident_id,
            error=item.record.error,
        )
        for item in results.injects
    ]
    document = DrillResultsOut(
        drill=DrillOut(
            id=run.id,
            plan_id=run.plan_id,
            name=run.name,
            announced=run.announced,
            notify_leadership=run.notify_leadership,
            status=run.status,
            started_at=run.started_at,
            started_by=run.started_by,
            finished_at=run.finished_at,
            injects=injects,
        ),
        injects=[
            InjectScoreOut(
                position=item.record.position,
                title=item.record.title,
                post=item.post,
                seconds={stage.name: stage.seconds for stage in item.stages},
                met={
                    **{s.name: s.met for s in item.stages if s.met is not None},
                    **({"runbook": item.plan_met} if item.plan_met is not None else {}),
                },
                score=item.score,
            )
            for item in results.injects
        ],
        per_post=results.per_post,
        overall=results.overall,
    )
    return document.model_dump(mode="json")
