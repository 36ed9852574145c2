"""Check-in: the person on duty confirms presence at the start of their stretch.

A check-in belongs to one stretch (post, person, stretch start). One may check in
from ``early`` before the stretch starts until it ends. When nobody has checked in
``grace`` after the start, the duty worker records the stretch as missed (and
publishes ``CheckInMissed``); a later check-in still counts, marked late.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.audit.actor import Actor
from garrison.audit.service import record_audit
from garrison.auth.principal import RequestOrigin
from garrison.duty.models import CheckInRecord
from garrison.duty.oncall import OnDuty, next_on_duty, who_is_on_duty
from garrison.duty.plan import DutyPlan
from garrison.errors import ConflictError
from garrison.i18n import gettext as _

CheckInStatus = Literal["present", "late", "missed"]


def check_in_status(record: CheckInRecord) -> CheckInStatus:
    if record.checked_in_at is None:
        return "missed"
    return "present" if record.missed_at is None else "late"


def stretch_to_check_in(
    plan: DutyPlan, *, post_id: str, person_id: str, at: datetime, early: timedelta
) -> OnDuty | None:
    """The caller's stretch under way at ``at``, or starting within ``early``."""
    current = who_is_on_duty(plan, post_id, at)
    if current is not None and current.person == person_id:
        return current
    upcoming = next_on_duty(plan, post_id, at)
    if upcoming is not None and upcoming.person == person_id and upcoming.start - at <= early:
        return upcoming
    return None


async def _find(
    session: AsyncSession, *, post_id: str, person_id: str, shift_start: datetime
) -> CheckInRecord | None:
    return await session.scalar(
        select(CheckInRecord).where(
            CheckInRecord.post_id == post_id,
            CheckInRecord.person_id == person_id,
            CheckInRecord.shift_start == shift_start,
        )
    )


async def check_in(
    session: AsyncSession,
    *,
    plan: DutyPlan,
    post_id: str,
    person_id: str,
    early: timedelta,
    grace: timedelta,
    actor: Actor,
    at: datetime,
    origin: RequestOrigin | None = None,
) -> CheckInRecord:
    """Record presence; checking in twice for one stretch returns the first check-in."""
    stretch = stretch_to_check_in(plan, post_id=post_id, person_id=person_id, at=at, early=early)
    if stretch is None:
        raise ConflictError(
            _(
                "You are not on duty at post {post} now, nor within the next {minutes} minutes."
            ).format(post=post_id, minutes=int(early.total_seconds() // 60))
        )
    record = await _find(session, post_id=post_id, person_id=person_id, shift_start=stretch.start)
    if record is not None and record.checked_in_at is not None:
        return record
    before = None if record is None else check_in_snapshot(record)
    if record is None:
        record = CheckInRecord(
            post_id=post_id,
            person_id=person_id,
            shift_start=stretch.start,
            shift_end=stretch.end,
            due_at=stretch.start + grace,
        )
        session.add(record)
    record.checked_in_at = at
    record.checked_in_by = actor.name
    try:
        await session.flush()
    except IntegrityError:
        raise ConflictError(_("Another check-in for this shift was recorded; try again.")) from None
    await record_audit(
        session,
        actor=actor,
        action="duty.checkin",
        target_type="duty_checkin",
        target_id=str(record.id),
        at=at,
        before=before,
        after=check_in_snapshot(record),
        origin=origin,
    )
    return record


async def record_missed_check_in(
    session: AsyncSession,
    *,
    plan: DutyPlan,
    post_id: str,
    grace: timedelta,
    at: datetime,
) -> CheckInRecord | None:
    """Record the stretch under way at ``post_id`` as missed when its grace is over and nobody
    checked in; returns the new record, or None (nothing to report, or reported already)."""
    if not plan.window_start <= at < plan.window_end:
        return None
    stretch = who_is_on_duty(plan, post_id, at)
    if stretch is None or at < stretch.start + grace:
        return None
    found = await _find(
        session, post_id=post_id, person_id=stretch.person, shift_start=stretch.start
    )
    if found is not None:
        return None
    record = CheckInRecord(
        post_id=post_id,
        person_id=stretch.person,
        shift_start=stretch.start,
        shift_end=stretch.end,
        due_at=stretch.start + grace,
        missed_at=at,
    )
    session.add(record)
    await session.flush()
    await record_audit(
        session,
        actor=Actor.system("duty"),
        action="duty.checkin.missed",
        target_type="duty_checkin",
        target_id=str(record.id),
        at=at,
        after=check_in_snapshot(record),
    )
    return record


async def list_check_ins(
    session: AsyncSession,
    *,
    post_id: str | None,
    person_id: str | None,
    status: CheckInStatus | None,
    limit: int,
    before_id: int | None = None,
) -> list[CheckInRecord]:
    """Newest first."""
    query = select(CheckInRecord).order_by(CheckInRecord.id.desc()).limit(limit)
    if post_id is not None:
        query = query.where(CheckInRecord.post_id == post_id)
    if person_id is not None:
        query = query.where(CheckInRecord.person_id == person_id)
    if before_id is not None:
        query = query.where(CheckInRecord.id < before_id)
    if status == "missed":
        query = query.where(CheckInRecord.checked_in_at.is_(None))
    elif status == "late":
        query = query.where(
            CheckInRecord.checked_in_at.is_not(None), CheckInRecord.missed_at.is_not(None)
        )
    elif status == "present":
        query = query.where(
            CheckInRecord.checked_in_at.is_not(None), CheckInRecord.missed_at.is_(None)
        )
    return list((await session.scalars(query)).all())


def check_in_snapshot(record: CheckInRecord) -> Mapping[str, Any]:
    return {
        "post_id": record.post_id,
        "person_id": record.person_id,
        "shift_start": record.shift_start,
        "shift_end": record.shift_end,
        "due_at": record.due_at,
        "checked_in_at": record.checked_in_at,
        "missed_at": record.missed_at,
        "status": check_in_status(record),
    }
