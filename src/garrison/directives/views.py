"""Directives over HTTP: issue, list (issued by me, assigned to me, all for leaders), answer.

Reading needs ``directive:read`` and seeing the directive (a leader, its issuer or
its receiver); issuing and cancelling need ``directive:issue``; acknowledging and
completing need ``directive:read`` and being the receiver.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query

from garrison.audit.actor import Actor
from garrison.auth.dependencies import require
from garrison.auth.permissions import Permission
from garrison.auth.principal import Principal
from garrison.config import EventConfig, Person
from garrison.directives.models import Directive
from garrison.directives.queries import (
    MAX_LIST_LIMIT,
    DirectiveFilter,
    Scope,
    assignment_of,
    can_see,
    list_directives,
)
from garrison.directives.schemas import (
    CompletionIn,
    DirectiveIn,
    DirectiveOut,
    DirectivePage,
    directive_out,
)
from garrison.directives.service import (
    OPEN_STATUSES,
    NewDirective,
    acknowledge_directive,
    cancel_directive,
    complete_directive,
    get_directive,
    is_receiver,
    issue_directive,
    receiver_label,
    sees_every_directive,
)
from garrison.duty.dependencies import EventConfiguration
from garrison.duty.plan import DutyPlan
from garrison.duty.service import load_plan
from garrison.errors import NotFoundError
from garrison.i18n import gettext as _
from garrison.incidents.access import viewer_for
from garrison.incidents.outbox import commit_and_publish
from garrison.incidents.service import get_visible_incident
from garrison.notify.recipients import person_of_username
from garrison.web.dependencies import Context, DbSession, Origin

router = APIRouter(tags=["directives"])

DirectiveReader = Annotated[Principal, Depends(require(Permission.DIRECTIVE_READ))]
DirectiveIssuer = Annotated[Principal, Depends(require(Permission.DIRECTIVE_ISSUE))]
StatusFilter = Literal["open", "issued", "acknowledged", "completed", "cancelled"]


@dataclass(frozen=True, slots=True)
class Caller:
    principal: Principal
    person: Person | None
    config: EventConfig
    plan: DutyPlan
    now: datetime
    scope: Scope

    def receives(self, directive: Directive) -> bool:
        return is_receiver(
            directive, person=self.person, config=self.config, plan=self.plan, at=self.now
        )

    def out(self, directive: Directive) -> DirectiveOut:
        return directive_out(
            directive, to_name=receiver_label(self.config, directive), now=self.now
        )


async def current_caller(
    principal: DirectiveReader, config: EventConfiguration, context: Context, session: DbSession
) -> Caller:
    person = person_of_username(config, principal.username)
    plan = await load_plan(session, config=config)
    now = context.clock.now()
    assignment = (
        assignment_of(person, config=config, plan=plan, at=now) if person is not None else None
    )
    return Caller(
        principal=principal,
        person=person,
        config=config,
        plan=plan,
        now=now,
        scope=Scope(
            sees_all=sees_every_directive(principal),
            user_id=principal.user_id,
            assignment=assignment,
        ),
    )


CurrentCaller = Annotated[Caller, Depends(current_caller)]


async def visible_directive(
    directive_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    caller: CurrentCaller,
    session: DbSession,
) -> Directive:
    """The directive if the caller may see it; the same 404 as for a missing one otherwise."""
    directive = await get_directive(session, directive_id=directive_id)
    if not can_see(directive, scope=caller.scope, receiver=caller.receives(directive)):
        raise NotFoundError(_("There is no directive %(id)d.") % {"id": directive_id})
    return directive


VisibleDirective = Annotated[Directive, Depends(visible_directive)]


@router.post("/directives", response_model=DirectiveOut, status_code=201)
async def issue(
    principal: DirectiveIssuer,
    body: DirectiveIn,
    caller: CurrentCaller,
    context: Context,
    session: DbSession,
    origin: Origin,
) -> DirectiveOut:
    """Issue a directive to a person, a post (whoever is on duty) or a unit."""
    if body.incident_id is not None:
        viewer = await viewer_for(session, principal)
        await get_visible_incident(session, incident_id=body.incident_id, viewer=viewer)
    directive = await issue_directive(
        session,
        new=NewDirective(
            text=body.text,
            receiver_kind=body.to.kind,
            receiver_id=body.to.id,
            deadline=body.deadline,
            incident_id=body.incident_id,
        ),
        issuer=principal,
        config=caller.config,
        plan=caller.plan,
        now=caller.now,
        origin=origin,
    )
    await commit_and_publish(session, context.bus)
    return caller.out(directive)


@router.get("/directives", response_model=DirectivePage)
async def list_all(
    caller: CurrentCaller,
    session: DbSession,
    issued_by: Literal["me"] | None = None,
    assigned_to: Literal["me"] | None = None,
    status: StatusFilter | None = None,
    incident_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIST_LIMIT)] = 100,
    before_id: Annotated[int | None, Query(ge=1)] = None,
) -> DirectivePage:
    """Newest first. Leaders see every directive; others what they issued or must answer."""
    scope = caller.scope
    statuses = sorted(OPEN_STATUSES) if status == "open" else ([status] if status else [])
    filters = DirectiveFilter(
        issued_by_user_id=caller.principal.user_id if issued_by == "me" else None,
        assigned=scope.assignment if assigned_to == "me" else None,
        nobody_assigned=assigned_to == "me" and scope.assignment is None,
        statuses=statuses,
        incident_id=incident_id,
    )
    rows = await list_directives(
        session, scope=scope, filters=filters, limit=limit, before_id=before_id
    )
    return DirectivePage(
        items=[caller.out(row) for row in rows],
        next_before_id=rows[-1].id if len(rows) == limit else None,
    )


@router.get("/directives/{directive_id}", response_model=DirectiveOut)
async def read(caller: CurrentCaller, directive: VisibleDirective) -> DirectiveOut:
    return caller.out(directive)


@router.post("/directives/{directive_id}/acknowledge", response_model=DirectiveOut)
async def acknowledge(
    caller: CurrentCaller,
    directive: VisibleDirective,
    context: Context,
    session: DbSession,
    origin: Origin,
) -> DirectiveOut:
    """The receiver has seen the directive and takes it on."""
    await acknowledge_directive(
        session,
        directive=directive,
        receiver=caller.receives(directive),
        actor=Actor.from_principal(caller.principal),
        now=caller.now,
        origin=origin,
    )
    await commit_and_publish(session, context.bus)
    return caller.out(directive)


@router.post("/directives/{directive_id}/complete", response_model=DirectiveOut)
async def complete(
    caller: CurrentCaller,
    directive: VisibleDirective,
    body: CompletionIn,
    context: Context,
    session: DbSession,
    origin: Origin,
) -> DirectiveOut:
    """The receiver reports the directive done, saying what was done."""
    await complete_directive(
        session,
        directive=directive,
        receiver=caller.receives(directive),
        note=body.note,
        actor=Actor.from_principal(caller.principal),
        now=caller.now,
        origin=origin,
    )
    await commit_and_publish(session, context.bus)
    return caller.out(directive)


@router.post("/directives/{directive_id}/cancel", response_model=DirectiveOut)
async def cancel(
    principal: DirectiveIssuer,
    caller: CurrentCaller,
    directive: VisibleDirective,
    context: Context,
    session: DbSession,
    origin: Origin,
) -> DirectiveOut:
    """Withdraw an open directive (its issuer or a leader)."""
    await cancel_directive(
        session, directive=directive, principal=principal, now=caller.now, origin=origin
    )
    await commit_and_publish(session, context.bus)
    return caller.out(directive)
