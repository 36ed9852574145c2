"""Escalate now: a person pages the next step of the incident's frozen policy at once.

What "the next step" is, is what the timer would fire next: the step the escalation
points at, or the first step of the next round after the last step. The pages go
through the same outbox under the same keys as the timer's, so the step that was
brought forward is never paged a second time when its old due time comes, and a
retried or doubled request finds the key taken. One transaction: pages, timer,
timeline entry and audit entry, or nothing.

- A running escalation (triggered incident) waits ``wait_minutes`` of the new step
  from now before the next one, as if that step had fallen due now.
- An acknowledged or mitigated incident, or an escalation stopped by hand: the next
  step is paged once; the timers stay stopped (someone holds the incident).
- Nothing left to climb (last step of the last round, or exhausted): the last step
  is paged again, and the timeline says so. A running escalation then waits the
  last step's ``wait_minutes`` again before it is exhausted.
- Refused (409): a resolved or closed incident, no policy, an escalation not
  started yet, an incident that must not page (maintenance, unreachable, alerts
  that do not page), and ``expected_version`` that is not the escalation's
  version any more (the page the person saw is out of date: a step fired or
  somebody else escalated meanwhile).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from garrison.audit.actor import Actor
from garrison.audit.service import record_audit
from garrison.auth.principal import RequestOrigin
from garrison.config import EventConfig
from garrison.config.escalation import EscalationPolicy
from garrison.errors import ConflictError
from garrison.escalation.models import EscalationRecord, EscalationStatus
from garrison.escalation.policy import thaw
from garrison.escalation.queries import find_escalation
from garrison.escalation.service import queue_step_notifications, snapshot
from garrison.escalation.suppression import suppression_reason
from garrison.escalation.targets import TargetResolver
from garrison.i18n import gettext as _
from garrison.incidents.models import Incident
from garrison.incidents.timeline import TimelineKind, add_timeline_entry
from garrison.incidents.vocabulary import IncidentStatus

ESCALATED_NOW = "escalated_now"
NOTIFIED_AGAIN = "notified_again"


@dataclass(frozen=True, slots=True)
class EscalatedNow:
    """What escalating now did."""

    record: EscalationRecord
    level: int
    round: int
    people: tuple[str, ...]
    notified: tuple[str, ...]
    unreached: tuple[str, ...]
    again: bool  # nothing left to climb: the last step was paged again
    timer_running: bool


@dataclass(frozen=True, slots=True)
class _Position:
    round_index: int
    step_index: int
    again: bool


def _next_position(record: EscalationRecord, policy: EscalationPolicy) -> _Position:
    if record.step_index < len(policy.steps):
        return _Position(record.pass_index, record.step_index, again=False)
    if record.pass_index + 1 < policy.repeat:
        return _Position(record.pass_index + 1, 0, again=False)
    return _Position(record.pass_index, len(policy.steps) - 1, again=True)


async def _escalation_to_climb(
    session: AsyncSession, incident: Incident, expected_version: int | None
) -> EscalationRecord:
    if not IncidentStatus(incident.status).is_open:
        raise ConflictError(_("A resolved or closed incident is not escalated."))
    record = await find_escalation(session, incident_id=incident.id)
    if record is None:
        raise ConflictError(
            _("The escalation of this incident has not started yet; try again in a moment.")
        )
    if record.status == EscalationStatus.UNROUTED.value or not record.policy:
        raise ConflictError(
            _("No escalation policy applies to this incident: nobody to escalate to.")
        )
    if expected_version is not None and expected_version != record.version:
        raise ConflictError(
            _(
                "The escalation moved on since you looked (a step fired or somebody escalated);"
                " nothing was sent. Look again and escalate if it is still needed."
            )
        )
    reason = await suppression_reason(session, incident=incident)
    if reason is not None:
        raise ConflictError(
            _("This incident must not page (%(reason)s): nothing was sent.") % {"reason": reason}
        )
    return record


async def escalate_now(
    session: AsyncSession,
    *,
    incident: Incident,
    actor: Actor,
    config: EventConfig,
    now: datetime,
    default_language: str,
    note: str | None = None,
    expected_version: int | None = None,
    origin: RequestOrigin | None = None,
) -> EscalatedNow:
    """Page the next step of ``incident``'s escalation now; flushes, the caller commits.

    The caller has checked that ``actor`` may escalate and may see the incident.
    """
    record = await _escalation_to_climb(session, incident, expected_version)
    try:
        return await _climb(
            session,
            record=record,
            incident=incident,
            actor=actor,
            config=config,
            now=now,
            default_language=default_language,
            note=note,
            origin=origin,
        )
    except (IntegrityError, StaleDataError) as exc:
        # Another request or the timer paged this step first: its pages stand.
        raise ConflictError(
            _("The escalation moved on meanwhile; nothing more was sent. Look again.")
        ) from exc


async def _climb(
    session: AsyncSession,
    *,
    record: EscalationRecord,
    incident: Incident,
    actor: Actor,
    config: EventConfig,
    now: datetime,
    default_language: str,
    note: str | None,
    origin: RequestOrigin | None,
) -> EscalatedNow:
    before = snapshot(record)
    policy = thaw(record.policy)
    position = _next_position(record, policy)
    record.pass_index, record.step_index = position.round_index, position.step_index
    step = policy.steps[position.step_index]
    reached = await TargetResolver(session, config=config, incident=incident, at=now).step(step)
    # A second page of the same step needs keys of its own; the version keeps a doubled
    # request on the same keys, so it still sends once.
    suffix = f":again{record.version}" if position.again else ""
    names = await queue_step_notifications(
        session, record, incident, config, reached.people, now, default_language, key_suffix=suffix
    )
    running = (
        record.status == EscalationStatus.ACTIVE.value
        and incident.status == IncidentStatus.TRIGGERED.value
    )
    record.step_index = position.step_index + 1
    record.last_fired_at = now
    record.updated_at = now
    if running:
        # As if the step had fallen due now; nobody reached: the next level follows at once.
        record.next_due_at = now + timedelta(minutes=step.wait_minutes) if names else now
    await session.flush()
    level, round_ = position.step_index + 1, position.round_index + 1
    await add_timeline_entry(
        session,
        incident_id=incident.id,
        kind=TimelineKind.ESCALATION,
        at=now,
        actor=actor,
        text=note,
        data={
            "event": NOTIFIED_AGAIN if position.again else ESCALATED_NOW,
            "by": actor.name,
            "level": level,
            "round": round_,
            "targets": names,
            "people": reached.people,
            "unreached": reached.unreached,
            "withheld": reached.withheld,
            "policy": record.policy_id,
            "timer": "running" if running else "stopped",
        },
    )
    await record_audit(
        session,
        actor=actor,
        action="escalation.escalated_now",
        target_type="incident",
        target_id=str(incident.id),
        at=now,
        before=before,
        after={
            **snapshot(record),
            "level": level,
            "round": round_,
            "again": position.again,
            "people": reached.people,
            "note": note,
        },
        origin=origin,
    )
    return EscalatedNow(
        record=record,
        level=level,
        round=round_,
        people=tuple(reached.people),
        notified=tuple(names),
        unreached=tuple(reached.unreached),
        again=position.again,
        timer_running=running,
    )
