"""Standing watch over HTTP: handover notes (write, acknowledge, history) and check-ins.

Writing a note, acknowledging one and checking in are done by the person on duty
themselves: the signed-in user is matched to a person of the configuration by
username.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from garrison.audit.actor import Actor
from garrison.auth.dependencies import require
from garrison.auth.permissions import Permission
from garrison.auth.principal import Principal
from garrison.duty import checkin, handover, service
from garrison.duty.checkin import CheckInStatus
from garrison.duty.dependencies import EventConfiguration
from garrison.duty.schemas import (
    AcknowledgeIn,
    CheckInIn,
    CheckInOut,
    CheckInPage,
    HandoverIn,
    HandoverOut,
    HandoverPage,
)
from garrison.duty.source import configured_event
from garrison.web.dependencies import Context, DbSession, Origin

router = APIRouter()

DutyReader = Annotated[Principal, Depends(require(Permission.DUTY_READ))]
DutyServer = Annotated[Principal, Depends(require(Permission.DUTY_SERVE))]
PostFilter = Annotated[str | None, Query(max_length=64, description="Only this post.")]
Limit = Annotated[int, Query(ge=1, le=service.MAX_LIST_LIMIT)]
BeforeId = Annotated[int | None, Query(ge=1, description="Only entries older than this id.")]


@router.post("/handovers", response_model=HandoverOut, status_code=status.HTTP_201_CREATED)
async def write_handover(
    body: HandoverIn,
    principal: DutyServer,
    session: DbSession,
    context: Context,
    config: EventConfiguration,
    origin: Origin,
) -> HandoverOut:
    """The outgoing person's note for their current (or just ended) shift at a post."""
    service.find_post(config, body.post_id)
    person = service.person_of_user(config, principal.username)
    plan = await service.load_plan(session, config=config)
    note = await handover.write_handover(
        session,
        plan=plan,
        post_id=body.post_id,
        person_id=person.id,
        content=handover.HandoverContent(
            remarks=body.remarks,
            open_incidents=body.open_incidents,
            pending_directives=body.pending_directives,
            references=body.references,
        ),
        grace=timedelta(minutes=config.duty.handover_grace_minutes),
        actor=Actor.from_principal(principal),
        at=context.clock.now(),
        origin=origin,
    )
    await session.commit()
    return HandoverOut.from_record(note)


@router.post("/handovers/{handover_id}/acknowledge", response_model=HandoverOut)
async def acknowledge_handover(
    handover_id: int,
    body: AcknowledgeIn,
    principal: DutyServer,
    session: DbSession,
    context: Context,
    origin: Origin,
) -> HandoverOut:
    """The incoming person confirms they read the note."""
    # An unknown note is a 404 even on a Garrison started without a configuration.
    await handover.get_handover(session, handover_id=handover_id)
    config = configured_event(context.settings)
    person = service.person_of_user(config, principal.username)
    note = await handover.acknowledge_handover(
        session,
        handover_id=handover_id,
        person_id=person.id,
        remarks=body.remarks,
        actor=Actor.from_principal(principal),
        at=context.clock.now(),
        origin=origin,
    )
    await session.commit()
    return HandoverOut.from_record(note)


@router.get("/handovers", response_model=HandoverPage)
async def list_handovers(
    _principal: DutyReader,
    session: DbSession,
    post: PostFilter = None,
    unacknowledged: bool = False,
    limit: Limit = 50,
    before_id: BeforeId = None,
) -> HandoverPage:
    """Handover notes, newest first."""
    notes = await handover.list_handovers(
        session,
        post_id=post,
        limit=limit,
        before_id=before_id,
        unacknowledged_only=unacknowledged,
    )
    more = len(notes) == limit
    return HandoverPage(
        notes=[HandoverOut.from_record(note) for note in notes],
        next_before_id=notes[-1].id if more else None,
    )


@router.get("/handovers/{handover_id}", response_model=HandoverOut)
async def read_handover(
    handover_id: int, _principal: DutyReader, session: DbSession
) -> HandoverOut:
    return HandoverOut.from_record(await handover.get_handover(session, handover_id=handover_id))


@router.post("/checkin", response_model=CheckInOut)
async def check_in(
    body: CheckInIn,
    principal: DutyServer,
    session: DbSession,
    context: Context,
    config: EventConfiguration,
    origin: Origin,
) -> CheckInOut:
    """The person on duty (or about to be) confirms presence at a post."""
    service.find_post(config, body.post_id)
    person = service.person_of_user(config, principal.username)
    plan = await service.load_plan(session, config=config)
    record = await checkin.check_in(
        session,
        plan=plan,
        post_id=body.post_id,
        person_id=person.id,
        early=timedelta(minutes=config.duty.check_in_early_minutes),
        grace=timedelta(minutes=config.duty.check_in_grace_minutes),
        actor=Actor.from_principal(principal),
        at=context.clock.now(),
        origin=origin,
    )
    await session.commit()
    return CheckInOut.from_record(record)


@router.get("/checkins", response_model=CheckInPage)
async def list_check_ins(
    _principal: DutyReader,
    session: DbSession,
    post: PostFilter = None,
    person: Annotated[str | None, Query(max_length=64, description="Only this person.")] = None,
    status_filter: Annotated[CheckInStatus | None, Query(alias="status")] = None,
    limit: Limit = 50,
    before_id: BeforeId = None,
) -> CheckInPage:
    """Check-ins, newest first: present, late (after the grace period) or missed."""
    records = await checkin.list_check_ins(
        session,
        post_id=post,
        person_id=person,
        status=status_filter,
        limit=limit,
        before_id=before_id,
    )
    return CheckInPage(
        check_ins=[CheckInOut.from_record(record) for record in records],
        next_before_id=records[-1].id if len(records) == limit else None,
    )
