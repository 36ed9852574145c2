"""Duty persistence and rules: the plan with its run-time overrides and swaps, and who is who.

Keyword-only functions taking an ``AsyncSession``; they flush, the caller commits.
Every change is appended to the audit chain in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.audit.actor import Actor
from garrison.audit.service import record_audit
from garrison.auth.principal import RequestOrigin
from garrison.config import EventConfig, Person, Post
from garrison.config.fields import as_utc
from garrison.duty.models import DutyOverrideRecord, DutySwapRecord
from garrison.duty.plan import DutyPlan, OverridePlan, SwapPlan, build_plan, swap_error
from garrison.errors import ConflictError, NotFoundError, PermissionDenied, ValidationFailed
from garrison.i18n import gettext as _

MAX_OVERRIDE_SPAN = timedelta(days=366)
MAX_ACTIVE_CHANGES = 5000
MAX_LIST_LIMIT = 500

_Change = TypeVar("_Change", DutyOverrideRecord, DutySwapRecord)


def find_post(config: EventConfig, post_id: str) -> Post:
    for post in config.organisation.posts:
        if post.id == post_id:
            return post
    raise NotFoundError(_("No post has the id {id}.").format(id=post_id))


def find_person(config: EventConfig, person_id: str, *, field: str = "person") -> Person:
    for person in config.organisation.people:
        if person.id == person_id:
            return person
    raise ValidationFailed(
        _("{field}: no person has the id {id}.").format(field=field, id=person_id)
    )


def person_of_user(config: EventConfig, username: str) -> Person:
    """The person a signed-in user is (by ``username`` in the configuration)."""
    for person in config.organisation.people:
        if person.username == username:
            return person
    raise PermissionDenied(
        _("Your account ({username}) is not a person of the event configuration.").format(
            username=username
        )
    )


def event_time(value: datetime, config: EventConfig) -> datetime:
    """A time from a request: without an offset it is read in the event's time zone."""
    return as_utc(value, config.event.zone)


async def load_plan(session: AsyncSession, *, config: EventConfig) -> DutyPlan:
    """The plan of ``config`` with every active run-time override and swap."""
    overrides = await session.scalars(
        select(DutyOverrideRecord)
        .where(DutyOverrideRecord.cancelled_at.is_(None))
        .order_by(DutyOverrideRecord.id)
    )
    swaps = await session.scalars(
        select(DutySwapRecord)
        .where(DutySwapRecord.cancelled_at.is_(None))
        .order_by(DutySwapRecord.id)
    )
    return build_plan(
        config,
        overrides=[_override_plan(row) for row in overrides],
        swaps=[_swap_plan(row) for row in swaps],
    )


def _override_plan(row: DutyOverrideRecord) -> OverridePlan:
    return OverridePlan(
        key=f"override #{row.id}",
        post=row.post_id,
        person=row.person_id,
        start=row.starts_at,
        end=row.ends_at,
        reason=row.reason,
    )


def _swap_plan(row: DutySwapRecord) -> SwapPlan:
    return SwapPlan(
        key=f"swap #{row.id}",
        post=row.post_id,
        layer=row.layer,
        first_person=row.first_person_id,
        first_start=row.first_shift_start,
        second_person=row.second_person_id,
        second_start=row.second_shift_start,
        reason=row.reason,
    )


async def add_override(
    session: AsyncSession,
    *,
    config: EventConfig,
    post_id: str,
    person_id: str,
    start: datetime,
    end: datetime,
    reason: str,
    actor: Actor,
    at: datetime,
    origin: RequestOrigin | None = None,
) -> DutyOverrideRecord:
    find_post(config, post_id)
    find_person(config, person_id)
    start, end = event_time(start, config), event_time(end, config)
    if end <= start:
        raise ValidationFailed(_("end: an override must end after it starts."))
    if end - start > MAX_OVERRIDE_SPAN:
        raise ValidationFailed(_("end: an override may last at most 366 days."))
    await _check_room(session, DutyOverrideRecord)
    row = DutyOverrideRecord(
        post_id=post_id,
        person_id=person_id,
        starts_at=start,
        ends_at=end,
        reason=reason,
        created_at=at,
        created_by=actor.name,
    )
    await _add_change(session, row, actor=actor, at=at, origin=origin)
    return row


async def add_swap(
    session: AsyncSession,
    *,
    config: EventConfig,
    post_id: str,
    layer: str,
    first_person_id: str,
    first_shift_start: datetime,
    second_person_id: str,
    second_shift_start: datetime,
    reason: str,
    actor: Actor,
    at: datetime,
    origin: RequestOrigin | None = None,
) -> DutySwapRecord:
    find_post(config, post_id)
    find_person(config, first_person_id, field="first.person")
    find_person(config, second_person_id, field="second.person")
    if first_person_id == second_person_id:
        raise ValidationFailed(_("second.person: a swap needs two different people."))
    candidate = SwapPlan(
        key="new swap",
        post=post_id,
        layer=layer,
        first_person=first_person_id,
        first_start=event_time(first_shift_start, config),
        second_person=second_person_id,
        second_start=event_time(second_shift_start, config),
        reason=reason,
    )
    plan = await load_plan(session, config=config)
    layer_plan = plan.posts[post_id].layer(layer)
    if layer_plan is None:
        raise ValidationFailed(
            _("layer: post {post} has no rotation layer {layer}.").format(post=post_id, layer=layer)
        )
    problem = swap_error(layer_plan, candidate)
    if problem is not None:
        field, message = problem
        raise ValidationFailed(f"{field}: {message}")
    await _check_room(session, DutySwapRecord)
    row = DutySwapRecord(
        post_id=post_id,
        layer=layer,
        first_person_id=first_person_id,
        first_shift_start=candidate.first_start,
        second_person_id=second_person_id,
        second_shift_start=candidate.second_start,
        reason=reason,
        created_at=at,
        created_by=actor.name,
    )
    await _add_change(session, row, actor=actor, at=at, origin=origin)
    return row


async def cancel_override(
    session: AsyncSession,
    *,
    override_id: int,
    actor: Actor,
    at: datetime,
    origin: RequestOrigin | None = None,
) -> DutyOverrideRecord:
    row = await session.get(DutyOverrideRecord, override_id)
    if row is None:
        raise NotFoundError(_("No override has the id {id}.").format(id=override_id))
    if row.cancelled_at is not None:
        raise ConflictError(_("This override is already cancelled."))
    await _cancel_change(session, row, actor=actor, at=at, origin=origin)
    return row


async def cancel_swap(
    session: AsyncSession,
    *,
    swap_id: int,
    actor: Actor,
    at: datetime,
    origin: RequestOrigin | None = None,
) -> DutySwapRecord:
    row = await session.get(DutySwapRecord, swap_id)
    if row is None:
        raise NotFoundError(_("No swap has the id {id}.").format(id=swap_id))
    if row.cancelled_at is not None:
        raise ConflictError(_("This swap is already cancelled."))
    await _cancel_change(session, row, actor=actor, at=at, origin=origin)
    return row


async def list_overrides(
    session: AsyncSession, *, post_id: str | None, include_cancelled: bool, limit: int
) -> list[DutyOverrideRecord]:
    return await _list_changes(
        session,
        DutyOverrideRecord,
        post_id=post_id,
        include_cancelled=include_cancelled,
        limit=limit,
    )


async def list_swaps(
    session: AsyncSession, *, post_id: str | None, include_cancelled: bool, limit: int
) -> list[DutySwapRecord]:
    return await _list_changes(
        session, DutySwapRecord, post_id=post_id, include_cancelled=include_cancelled, limit=limit
    )


def _snapshot(row: DutyOverrideRecord | DutySwapRecord) -> Mapping[str, Any]:
    if isinstance(row, DutyOverrideRecord):
        return override_snapshot(row)
    return swap_snapshot(row)


async def _add_change(
    session: AsyncSession,
    row: DutyOverrideRecord | DutySwapRecord,
    *,
    actor: Actor,
    at: datetime,
    origin: RequestOrigin | None,
) -> None:
    session.add(row)
    await session.flush()
    await _audit_change(session, row, "add", before=None, actor=actor, at=at, origin=origin)


async def _cancel_change(
    session: AsyncSession,
    row: DutyOverrideRecord | DutySwapRecord,
    *,
    actor: Actor,
    at: datetime,
    origin: RequestOrigin | None,
) -> None:
    before = _snapshot(row)
    row.cancelled_at, row.cancelled_by = at, actor.name
    await session.flush()
    await _audit_change(session, row, "cancel", before=before, actor=actor, at=at, origin=origin)


async def _audit_change(
    session: AsyncSession,
    row: DutyOverrideRecord | DutySwapRecord,
    verb: str,
    *,
    before: Mapping[str, Any] | None,
    actor: Actor,
    at: datetime,
    origin: RequestOrigin | None,
) -> None:
    """Audited as ``duty.override.<verb>`` on a ``duty_override`` (likewise for swaps)."""
    kind = "override" if isinstance(row, DutyOverrideRecord) else "swap"
    await record_audit(
        session,
        actor=actor,
        action=f"duty.{kind}.{verb}",
        target_type=f"duty_{kind}",
        target_id=str(row.id),
        at=at,
        before=before,
        after=_snapshot(row),
        origin=origin,
    )


async def _list_changes(
    session: AsyncSession,
    table: type[_Change],
    *,
    post_id: str | None,
    include_cancelled: bool,
    limit: int,
) -> list[_Change]:
    query = select(table).order_by(table.id.desc()).limit(limit)
    if post_id is not None:
        query = query.where(table.post_id == post_id)
    if not include_cancelled:
        query = query.where(table.cancelled_at.is_(None))
    return list((await session.scalars(query)).all())


async def _check_room(
    session: AsyncSession, table: type[DutyOverrideRecord] | type[DutySwapRecord]
) -> None:
    active = await session.scalar(
        select(func.count()).select_from(table).where(table.cancelled_at.is_(None))
    )
    if (active or 0) >= MAX_ACTIVE_CHANGES:
        raise ConflictError(
            _("Too many active overrides or swaps (at most {limit}); cancel old ones.").format(
                limit=MAX_ACTIVE_CHANGES
            )
        )


def override_snapshot(row: DutyOverrideRecord) -> Mapping[str, Any]:
    return {
        "post_id": row.post_id,
        "person_id": row.person_id,
        "starts_at": row.starts_at,
        "ends_at": row.ends_at,
        "reason": row.reason,
        "cancelled_at": row.cancelled_at,
    }


def swap_snapshot(row: DutySwapRecord) -> Mapping[str, Any]:
    return {
        "post_id": row.post_id,
        "layer": row.layer,
        "first_person_id": row.first_person_id,
        "first_shift_start": row.first_shift_start,
        "second_person_id": row.second_person_id,
        "second_shift_start": row.second_shift_start,
        "reason": row.reason,
        "cancelled_at": row.cancelled_at,
    }
