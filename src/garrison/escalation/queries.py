"""Reading escalations: one incident's, the due ones, the next due time, the incidents missed.

Keyword-only functions taking an ``AsyncSession``; nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.errors import NotFoundError
from garrison.escalation.models import EscalationRecord, EscalationStatus
from garrison.i18n import gettext as _
from garrison.incidents.models import Incident
from garrison.incidents.vocabulary import IncidentStatus


async def find_escalation(session: AsyncSession, *, incident_id: int) -> EscalationRecord | None:
    return await session.scalar(
        select(EscalationRecord).where(EscalationRecord.incident_id == incident_id)
    )


async def get_escalation(session: AsyncSession, *, incident_id: int) -> EscalationRecord:
    record = await find_escalation(session, incident_id=incident_id)
    if record is None:
        raise NotFoundError(_("Incident %(id)d has no escalation.") % {"id": incident_id})
    return record


@dataclass(frozen=True, slots=True)
class DueEscalations:
    """The due escalations' ids, earliest first, and when the next of the others is due."""

    ids: list[int]
    later: datetime | None  # None: no other active escalation, when ``later_known``
    later_known: bool


async def due_escalations(session: AsyncSession, *, now: datetime, limit: int) -> DueEscalations:
    """Active escalations whose next step is due, and the first one not due yet: one read
    for a round and the sleep after it."""
    rows = (
        await session.execute(
            select(EscalationRecord.id, EscalationRecord.next_due_at)
            .where(
                EscalationRecord.status == EscalationStatus.ACTIVE.value,
                EscalationRecord.next_due_at.is_not(None),
            )
            .order_by(EscalationRecord.next_due_at, EscalationRecord.id)
            .limit(limit + 1)
        )
    ).all()
    ids: list[int] = []
    later: datetime | None = None
    for escalation_id, due_at in rows:
        if due_at is not None and due_at <= now:
            ids.append(escalation_id)
        elif due_at is not None:
            later = due_at
            break
    return DueEscalations(
        ids=ids[:limit], later=later, later_known=later is not None or len(rows) <= limit
    )


async def claim_escalation(
    session: AsyncSession, *, escalation_id: int, now: datetime, row_locks: bool
) -> EscalationRecord | None:
    """The escalation if it is still due; locked (PostgreSQL) so one worker fires it."""
    query = select(EscalationRecord).where(
        EscalationRecord.id == escalation_id,
        EscalationRecord.status == EscalationStatus.ACTIVE.value,
        EscalationRecord.next_due_at <= now,
    )
    if row_locks:
        query = query.with_for_update(skip_locked=True)
    return await session.scalar(query)


async def next_due(session: AsyncSession) -> datetime | None:
    return await session.scalar(
        select(EscalationRecord.next_due_at)
        .where(
            EscalationRecord.status == EscalationStatus.ACTIVE.value,
            EscalationRecord.next_due_at.is_not(None),
        )
        .order_by(EscalationRecord.next_due_at)
        .limit(1)
    )


async def startable_incidents(session: AsyncSession, *, incident_ids: list[int]) -> list[Incident]:
    """Those of these incidents that are triggered and have no escalation yet, by id."""
    known = select(EscalationRecord.incident_id).where(
        EscalationRecord.incident_id.in_(incident_ids)
    )
    rows = await session.scalars(
        select(Incident)
        .where(
            Incident.id.in_(incident_ids),
            Incident.status == IncidentStatus.TRIGGERED.value,
            Incident.id.not_in(known),
        )
        .order_by(Incident.id)
    )
    return list(rows.all())


async def unescalated_incidents(session: AsyncSession, *, limit: int) -> list[int]:
    """Triggered incidents with no escalation yet (their opening event was lost in a crash)."""
    known = select(EscalationRecord.incident_id)
    rows = await session.scalars(
        select(Incident.id)
        .where(
            Incident.status == IncidentStatus.TRIGGERED.value,
            Incident.merged_into_id.is_(None),
            Incident.id.not_in(known),
        )
        .order_by(Incident.id)
        .limit(limit)
    )
    return list(rows.all())
