"""Shift handover: the outgoing person writes a note, the incoming person acknowledges it.

A note belongs to one stretch on duty (post, outgoing person, stretch start); the
incoming person is whoever holds the post next. Both steps are audited.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.audit.actor import Actor
from garrison.audit.service import record_audit
from garrison.auth.principal import RequestOrigin
from garrison.duty.models import HandoverNote
from garrison.duty.oncall import OnDuty, assignments, next_on_duty
from garrison.duty.plan import DutyPlan
from garrison.errors import ConflictError, NotFoundError, PermissionDenied
from garrison.i18n import gettext as _


@dataclass(frozen=True, slots=True)
class HandoverContent:
    remarks: str = ""
    open_incidents: Sequence[str] = ()
    pending_directives: Sequence[str] = ()
    references: Sequence[str] = ()


def outgoing_stretch(
    plan: DutyPlan, *, post_id: str, person_id: str, at: datetime, grace: timedelta
) -> OnDuty | None:
    """The caller's stretch a note is for: under way at ``at``, or ended within ``grace``."""
    held = assignments(plan, post_id, at - grace, at + timedelta(microseconds=1))
    mine = [stretch for stretch in held if stretch.person == person_id and stretch.start <= at]
    return mine[-1] if mine else None


async def write_handover(
    session: AsyncSession,
    *,
    plan: DutyPlan,
    post_id: str,
    person_id: str,
    content: HandoverContent,
    grace: timedelta,
    actor: Actor,
    at: datetime,
    origin: RequestOrigin | None = None,
) -> HandoverNote:
    stretch = outgoing_stretch(plan, post_id=post_id, person_id=person_id, at=at, grace=grace)
    if stretch is None:
        raise ConflictError(
            _(
                "You are not on duty at post {post}, nor were you in the last {minutes} minutes."
            ).format(post=post_id, minutes=int(grace.total_seconds() // 60))
        )
    existing = await session.scalar(
        select(HandoverNote.id).where(
            HandoverNote.post_id == post_id,
            HandoverNote.outgoing_person_id == person_id,
            HandoverNote.shift_start == stretch.start,
        )
    )
    if existing is not None:
        raise _already_written(post_id)
    incoming = next_on_duty(plan, post_id, stretch.start)
    note = HandoverNote(
        post_id=post_id,
        outgoing_person_id=person_id,
        shift_start=stretch.start,
        shift_end=stretch.end,
        incoming_person_id=None if incoming is None else incoming.person,
        remarks=content.remarks,
        open_incidents=list(content.open_incidents),
        pending_directives=list(content.pending_directives),
        reference_list=list(content.references),
        written_at=at,
        written_by=actor.name,
    )
    session.add(note)
    try:
        await session.flush()
    except IntegrityError:
        # Written at the same moment by another request: the unique constraint decided.
        raise _already_written(post_id) from None
    await record_audit(
        session,
        actor=actor,
        action="duty.handover.write",
        target_type="duty_handover",
        target_id=str(note.id),
        at=at,
        after=handover_snapshot(note),
        origin=origin,
    )
    return note


def _already_written(post_id: str) -> ConflictError:
    return ConflictError(
        _("A handover note for this shift at post {post} is already written.").format(post=post_id)
    )


async def acknowledge_handover(
    session: AsyncSession,
    *,
    handover_id: int,
    person_id: str,
    remarks: str,
    actor: Actor,
    at: datetime,
    origin: RequestOrigin | None = None,
) -> HandoverNote:
    note = await get_handover(session, handover_id=handover_id)
    if note.acknowledged_at is not None:
        raise ConflictError(_("This handover note is already acknowledged."))
    if note.incoming_person_id != person_id:
        raise PermissionDenied(
            _("Only the incoming person ({person}) may acknowledge this handover note.").format(
                person=note.incoming_person_id or "-"
            )
        )
    before = handover_snapshot(note)
    note.acknowledged_at = at
    note.acknowledged_by = actor.name
    note.acknowledgement_remarks = remarks
    await session.flush()
    await record_audit(
        session,
        actor=actor,
        action="duty.handover.acknowledge",
        target_type="duty_handover",
        target_id=str(note.id),
        at=at,
        before=before,
        after=handover_snapshot(note),
        origin=origin,
    )
    return note


async def get_handover(session: AsyncSession, *, handover_id: int) -> HandoverNote:
    note = await session.get(HandoverNote, handover_id)
    if note is None:
        raise NotFoundError(_("No handover note has the id {id}.").format(id=handover_id))
    return note


async def list_handovers(
    session: AsyncSession,
    *,
    post_id: str | None,
    limit: int,
    before_id: int | None = None,
    unacknowledged_only: bool = False,
) -> list[HandoverNote]:
    """Newest first."""
    query = select(HandoverNote).order_by(HandoverNote.id.desc()).limit(limit)
    if post_id is not None:
        query = query.where(HandoverNote.post_id == post_id)
    if before_id is not None:
        query = query.where(HandoverNote.id < before_id)
    if unacknowledged_only:
        query = query.where(HandoverNote.acknowledged_at.is_(None))
    return list((await session.scalars(query)).all())


def handover_snapshot(note: HandoverNote) -> Mapping[str, Any]:
    return {
        "post_id": note.post_id,
        "outgoing_person_id": note.outgoing_person_id,
        "incoming_person_id": note.incoming_person_id,
        "shift_start": note.shift_start,
        "shift_end": note.shift_end,
        "remarks": note.remarks,
        "open_incidents": note.open_incidents,
        "pending_directives": note.pending_directives,
        "references": note.reference_list,
        "acknowledged_at": note.acknowledged_at,
        "acknowledged_by": note.acknowledged_by,
        "acknowledgement_remarks": note.acknowledgement_remarks,
    }
