"""Escalation over HTTP: the configured policies, an incident's escalation, escalating it now,
stopping it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends

from garrison.audit.actor import Actor
from garrison.auth.dependencies import require
from garrison.auth.permissions import Permission
from garrison.auth.principal import Principal
from garrison.duty.dependencies import EventConfiguration
from garrison.escalation.escalate_now import escalate_now
from garrison.escalation.models import EscalationRecord, EscalationStatus
from garrison.escalation.queries import get_escalation
from garrison.escalation.schemas import (
    EscalatedOut,
    EscalateIn,
    EscalationOut,
    PoliciesOut,
    StopIn,
)
from garrison.escalation.service import stop_by_hand
from garrison.incidents.dependencies import CurrentIncident
from garrison.incidents.outbox import commit_and_publish
from garrison.web.dependencies import Context, DbSession, Origin

router = APIRouter(tags=["escalation"])

IncidentReader = Annotated[Principal, Depends(require(Permission.INCIDENT_READ))]
IncidentManager = Annotated[Principal, Depends(require(Permission.INCIDENT_MANAGE))]
IncidentEscalator = Annotated[Principal, Depends(require(Permission.INCIDENT_ESCALATE))]


def escalation_out(record: EscalationRecord) -> EscalationOut:
    active = record.status == EscalationStatus.ACTIVE.value
    steps = len(record.policy.get("steps", [])) if record.policy else 0
    return EscalationOut(
        incident_id=record.incident_id,
        policy_id=record.policy_id or None,
        policy=dict(record.policy),
        status=record.status,
        stop_reason=record.stop_reason,
        round=record.pass_index + 1,
        next_level=(record.step_index % steps) + 1 if active and steps else None,
        next_due_at=record.next_due_at,
        started_at=record.started_at,
        last_fired_at=record.last_fired_at,
        stopped_at=record.stopped_at,
        restarts=record.generation,
        version=record.version,
    )


@router.get("/escalation/policies", response_model=PoliciesOut)
async def list_policies(_principal: IncidentReader, config: EventConfiguration) -> PoliciesOut:
    """The escalation policies and rules of the configuration (new incidents use these)."""
    section = config.escalation
    return PoliciesOut(
        default_policy=section.default_policy,
        policies=list(section.policies),
        rules=list(section.rules),
    )


@router.get("/incidents/{incident_id}/escalation", response_model=EscalationOut)
async def read_escalation(
    _principal: IncidentReader, incident: CurrentIncident, session: DbSession
) -> EscalationOut:
    """Where the incident's escalation stands, with the policy it froze when it opened."""
    return escalation_out(await get_escalation(session, incident_id=incident.id))


@router.post("/incidents/{incident_id}/escalation/stop", response_model=EscalationOut)
async def stop_escalation(
    principal: IncidentManager,
    incident: CurrentIncident,
    body: StopIn,
    context: Context,
    session: DbSession,
    origin: Origin,
) -> EscalationOut:
    """Stop paging for the incident without acknowledging it (audited)."""
    record = await stop_by_hand(
        session,
        incident_id=incident.id,
        note=body.reason.strip(),
        actor=Actor.from_principal(principal),
        now=context.clock.now(),
        origin=origin,
    )
    await commit_and_publish(session, context.bus)
    return escalation_out(record)


@router.post(
    "/incidents/{incident_id}/escalate",
    response_model=EscalatedOut,
    responses={409: {"description": "Resolved or closed, no policy, must not page, or moved on"}},
)
async def escalate(
    principal: IncidentEscalator,
    incident: CurrentIncident,
    config: EventConfiguration,
    context: Context,
    session: DbSession,
    origin: Origin,
    body: Annotated[EscalateIn | None, Body()] = None,
) -> EscalatedOut:
    """Page the next step of the incident's escalation policy now (audited).

    A running escalation then waits that step's time before the next one; with no
    step left above, the last step is paged again. See `docs/escalation.md`.
    """
    body = body or EscalateIn()
    done = await escalate_now(
        session,
        incident=incident,
        actor=Actor.from_principal(principal),
        config=config,
        now=context.clock.now(),
        default_language=context.settings.language,
        note=body.note.strip() if body.note and body.note.strip() else None,
        expected_version=body.expected_version,
        origin=origin,
    )
    await commit_and_publish(session, context.bus)
    return EscalatedOut(
        level=done.level,
        round=done.round,
        notified=list(done.notified),
        unreached=list(done.unreached),
        again=done.again,
        timer_running=done.timer_running,
        escalation=escalation_out(done.record),
    )
