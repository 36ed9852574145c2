"""Directives past their deadline: the receiver is reminded, then the issuer is told.

Both happen once per directive (``overdue_stage`` 0 → 1 → 2), each in the
transaction that queues its notification, so a restart neither repeats nor
skips them. The issuer hears of it ``directive_escalation_minutes`` after the
deadline.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.audit.actor import Actor
from garrison.config import EventConfig
from garrison.directives.models import Directive
from garrison.directives.service import (
    OPEN_STATUSES,
    current_receiver,
    notify_person,
    record_change,
)
from garrison.duty.plan import DutyPlan
from garrison.notify.vocabulary import NotificationKind

FOLLOW_UP = Actor.system("directives")
REMINDED = 1
ESCALATED = 2


def escalation_delay(config: EventConfig) -> timedelta:
    return timedelta(minutes=config.escalation.directive_escalation_minutes)


async def overdue_directives(
    session: AsyncSession, *, now: datetime, delay: timedelta, limit: int
) -> list[int]:
    """Open directives with a reminder or an escalation due, earliest deadline first."""
    rows = await session.scalars(
        select(Directive.id)
        .where(
            Directive.status.in_(sorted(OPEN_STATUSES)),
            or_(
                (Directive.overdue_stage == 0) & (Directive.deadline <= now),
                (Directive.overdue_stage == REMINDED) & (Directive.deadline <= now - delay),
            ),
        )
        .order_by(Directive.deadline, Directive.id)
        .limit(limit)
    )
    return list(rows.all())


async def follow_up(
    session: AsyncSession,
    *,
    directive: Directive,
    config: EventConfig,
    plan: DutyPlan,
    now: datetime,
    default_language: str,
) -> str | None:
    """Remind or escalate ``directive`` if due; returns what was done ("reminded", …) or None."""
    if directive.status not in OPEN_STATUSES or directive.deadline > now:
        return None
    before = {"overdue_stage": directive.overdue_stage}
    if directive.overdue_stage == 0:
        person = (
            current_receiver(config, plan, directive.target_kind, directive.target_id, now)
            or directive.receiver_person_id
        )
        kind, event, stage = NotificationKind.DIRECTIVE_REMINDER, "reminded", REMINDED
        directive.reminded_at = now
    elif directive.overdue_stage == REMINDED and directive.deadline <= now - escalation_delay(
        config
    ):
        person = directive.issuer_person_id
        kind, event, stage = NotificationKind.DIRECTIVE_OVERDUE, "overdue_escalated", ESCALATED
        directive.escalated_at = now
    else:
        return None
    directive.overdue_stage = stage
    directive.updated_at = now
    await session.flush()
    await record_change(
        session, directive, event, actor=FOLLOW_UP, now=now, origin=None, before=before
    )
    if person is not None:
        await notify_person(
            session,
            directive=directive,
            config=config,
            person_id=person,
            kind=kind,
            now=now,
            default_language=default_language,
        )
    return event


async def next_follow_up(session: AsyncSession, *, delay: timedelta) -> datetime | None:
    moments = []
    for stage, offset in ((0, timedelta(0)), (REMINDED, delay)):
        deadline = await session.scalar(
            select(Directive.deadline)
            .where(Directive.status.in_(sorted(OPEN_STATUSES)), Directive.overdue_stage == stage)
            .order_by(Directive.deadline)
            .limit(1)
        )
        if deadline is not None:
            moments.append(deadline + offset)
    return min(moments) if moments else None
