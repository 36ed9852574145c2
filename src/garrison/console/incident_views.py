"""Incident pages: the filtered list, one incident with its timeline, and its actions.

Actions are plain forms (they work without JavaScript); each calls its domain's own
service function (the incidents', or the escalation's "escalate now") through
``_Action.run`` and redirects back to the incident page, or shows the refusal on it.
The page's other forms (attachments, runbook steps) end the same way, through
``redirect_or_incident_page``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Protocol, TypeVar

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.audit.actor import Actor
from garrison.auth.dependencies import require_page
from garrison.auth.permissions import Permission
from garrison.auth.principal import Principal, RequestOrigin
from garrison.config import EventConfig
from garrison.console.dependencies import (
    IncidentPage,
    OptionalEventConfig,
    PageIncident,
    PageViewer,
)
from garrison.console.form_posts import Change, redirect_or_error_page
from garrison.console.labels import incident_labels
from garrison.directives.queries import DirectiveFilter, Scope, list_directives
from garrison.directives.service import sees_every_directive
from garrison.errors import ConflictError, ValidationFailed
from garrison.escalation.escalate_now import escalate_now
from garrison.escalation.queries import find_escalation
from garrison.event import service as event_service
from garrison.i18n import gettext as _
from garrison.incidents import changes, transitions
from garrison.incidents.attachments import list_attachments
from garrison.incidents.models import Incident
from garrison.incidents.outbox import commit_and_publish
from garrison.incidents.service import IncidentFilter, list_alerts, list_incidents, usernames
from garrison.incidents.timeline import describe_entry, list_timeline
from garrison.incidents.vocabulary import Category, IncidentStatus, Severity
from garrison.readiness.plans import checklists_of
from garrison.runtime.context import AppContext
from garrison.web.dependencies import Context, DbSession, Origin
from garrison.web.templating import render

router = APIRouter(include_in_schema=False)
_Word = TypeVar("_Word", bound=StrEnum)

LIST_LIMIT = 200
NoteText = Annotated[str, Form(max_length=4000)]
Filter = Annotated[str, Query(max_length=64)]


async def _timezone(session: AsyncSession) -> str:
    event = await event_service.find_event(session)
    return event.timezone if event else "UTC"


def _matches(incident: Incident, *, classification: str, service: str, site: str) -> bool:
    return (
        (not classification or incident.classification == classification)
        and (not service or service in incident.services)
        and (not site or site in incident.sites)
    )


def _parsed(kind: type[_Word], value: str) -> tuple[_Word, ...]:
    try:
        return (kind(value),) if value else ()
    except ValueError:
        return ()


@router.get("/incidents", response_class=HTMLResponse)
async def incident_list(
    request: Request,
    _principal: IncidentPage,
    viewer: PageViewer,
    session: DbSession,
    context: Context,
    state: Filter = "open",
    severity: Filter = "",
    category: Filter = "",
    classification: Filter = "",
    service: Filter = "",
    site: Filter = "",
) -> HTMLResponse:
    if state == "open":
        statuses = tuple(s for s in IncidentStatus if s.is_open)
    else:
        statuses = _parsed(IncidentStatus, state)
    categories = _parsed(Category, category)
    found = await list_incidents(
        session,
        viewer=viewer,
        filters=IncidentFilter(
            statuses=statuses,
            severities=_parsed(Severity, severity),
            category=categories[0] if categories else None,
        ),
        limit=LIST_LIMIT,
    )
    shown = [
        i for i in found if _matches(i, classification=classification, service=service, site=site)
    ]
    owners = await usernames(session, user_ids=[i.assignee_id for i in shown])
    return render(
        request,
        "console/incidents.html",
        {
            "incidents": shown,
            "owners": owners,
            "now": context.clock.now(),
            "timezone": await _timezone(session),
            "filters": {
                "state": state,
                "severity": severity,
                "category": category,
                "classification": classification,
                "service": service,
                "site": site,
            },
            "labels": incident_labels(),
        },
    )


async def render_detail(
    request: Request,
    session: AsyncSession,
    *,
    principal: Principal,
    incident: Incident,
    context: Context,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    names = await usernames(session, user_ids=[incident.assignee_id, incident.commander_id])
    entries = await list_timeline(session, incident_id=incident.id)
    directives = await list_directives(
        session,
        scope=Scope(
            sees_all=sees_every_directive(principal), user_id=principal.user_id, assignment=None
        ),
        filters=DirectiveFilter(incident_id=incident.id),
        limit=50,
    )
    values: dict[str, Any] = {
        "incident": incident,
        "assignee": names.get(incident.assignee_id) if incident.assignee_id else None,
        "commander": names.get(incident.commander_id) if incident.commander_id else None,
        "timeline": [(entry, describe_entry(entry)) for entry in entries],
        "alerts": await list_alerts(session, incident_id=incident.id),
        "attachments": await list_attachments(session, incident_id=incident.id),
        "labels": incident_labels(),
        "directives": directives,
        "now": context.clock.now(),
        "timezone": await _timezone(session),
        "can_respond": principal.can(Permission.INCIDENT_RESPOND),
        "can_manage": principal.can(Permission.INCIDENT_MANAGE),
        "can_escalate": principal.can(Permission.INCIDENT_ESCALATE),
        "escalation": await find_escalation(session, incident_id=incident.id),
        "severities": [s.value for s in Severity],
        # Runbook checklists attached by matching plans; ticking a step needs incident:respond.
        "runbooks": (
            await checklists_of(session, incident_id=incident.id)
            if principal.can(Permission.READINESS_READ)
            else []
        ),
        "error": error,
    }
    return render(request, "console/incident.html", values, status_code=status_code)


@router.get("/incidents/{incident_id}", response_class=HTMLResponse)
async def incident_page(
    request: Request,
    principal: IncidentPage,
    incident: PageIncident,
    session: DbSession,
    context: Context,
) -> HTMLResponse:
    return await render_detail(
        request, session, principal=principal, incident=incident, context=context
    )


async def redirect_or_incident_page(
    request: Request,
    session: AsyncSession,
    *,
    principal: Principal,
    incident: Incident,
    context: AppContext,
    change: Change,
    anchor: str = "",
) -> Response:
    """A form posted on the incident page: run ``change``, commit and publish its events,
    then back to the page (at ``anchor``); a refusal shows on the page, the incident reloaded."""

    async def error_page(*, error: str, status_code: int) -> Response:
        await session.refresh(incident)
        return await render_detail(
            request, session, principal=principal, incident=incident, context=context,
            error=error, status_code=status_code,
        )  # fmt: skip

    return await redirect_or_error_page(
        session, change, location=f"/incidents/{incident.id}{anchor}", error_page=error_page,
        commit=lambda: commit_and_publish(session, context.bus),
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Action:
    """One action form posted on an incident page, with everything its handler needs."""

    request: Request
    principal: Principal
    incident: Incident
    session: AsyncSession
    context: AppContext
    origin: RequestOrigin

    @property
    def actor(self) -> Actor:
        return Actor.from_principal(self.principal)

    @property
    def now(self) -> datetime:
        return self.context.clock.now()

    async def run(self, change: Awaitable[object]) -> Response:
        """Await ``change`` and commit, then back to the incident page; a refusal shows on it."""
        return await redirect_or_incident_page(
            self.request, self.session, principal=self.principal, incident=self.incident,
            context=self.context, change=lambda: change,
        )  # fmt: skip


def _acting(permission: Permission) -> Callable[..., Awaitable[_Action]]:
    """The dependency of an action needing ``permission`` (checked before the incident loads)."""

    async def acting(
        *,
        principal: Principal = Depends(require_page(permission)),  # noqa: B008 - FastAPI's way
        request: Request,
        incident: PageIncident,
        session: DbSession,
        context: Context,
        origin: Origin,
    ) -> _Action:
        return _Action(request, principal, incident, session, context, origin)

    return acting


Responding = Annotated[_Action, Depends(_acting(Permission.INCIDENT_RESPOND))]
Managing = Annotated[_Action, Depends(_acting(Permission.INCIDENT_MANAGE))]
Escalating = Annotated[_Action, Depends(_acting(Permission.INCIDENT_ESCALATE))]


def _note(text: str) -> str | None:
    return text.strip() or None


class _Transition(Protocol):
    def __call__(
        self,
        session: AsyncSession,
        *,
        incident: Incident,
        actor: Actor,
        now: datetime,
        note: str | None = None,
        origin: RequestOrigin | None = None,
    ) -> Awaitable[Incident]: ...


def _transition(act: _Action, move: _Transition, note: str) -> Awaitable[Incident]:
    return move(
        act.session,
        incident=act.incident,
        actor=act.actor,
        now=act.now,
        note=_note(note),
        origin=act.origin,
    )


@router.post("/incidents/{incident_id}/acknowledge", response_class=HTMLResponse)
async def acknowledge(act: Responding, note: NoteText = "") -> Response:
    return await act.run(_transition(act, transitions.acknowledge_incident, note))


@router.post("/incidents/{incident_id}/mitigate", response_class=HTMLResponse)
async def mitigate(act: Responding, note: NoteText = "") -> Response:
    return await act.run(_transition(act, transitions.mitigate_incident, note))


@router.post("/incidents/{incident_id}/resolve", response_class=HTMLResponse)
async def resolve(act: Responding, note: NoteText = "") -> Response:
    return await act.run(_transition(act, transitions.resolve_incident, note))


@router.post("/incidents/{incident_id}/close", response_class=HTMLResponse)
async def close(act: Managing, note: NoteText = "") -> Response:
    return await act.run(_transition(act, transitions.close_incident, note))


@router.post("/incidents/{incident_id}/note", response_class=HTMLResponse)
async def add_note(act: Responding, text: NoteText = "") -> Response:
    return await act.run(
        changes.add_note(
            act.session,
            incident=act.incident,
            text=text,
            actor=act.actor,
            now=act.now,
            origin=act.origin,
        )
    )


async def _escalate(act: _Action, config: EventConfig | None, note: str, version: int) -> None:
    if config is None:
        raise ConflictError(_("Garrison runs without an event configuration: no escalation."))
    await escalate_now(
        act.session,
        incident=act.incident,
        actor=act.actor,
        config=config,
        now=act.now,
        default_language=act.context.settings.language,
        note=_note(note),
        expected_version=version if version >= 0 else None,
        origin=act.origin,
    )


@router.post("/incidents/{incident_id}/escalate", response_class=HTMLResponse)
async def escalate(
    act: Escalating,
    config: OptionalEventConfig,
    note: NoteText = "",
    expected_version: Annotated[int, Form(ge=-1, le=2**31 - 1)] = -1,
) -> Response:
    """Page the next step of the escalation now; the form carries the version it showed."""
    return await act.run(_escalate(act, config, note, expected_version))


async def _change(act: _Action, severity: str, assignee: str) -> None:
    if severity and severity not in {s.value for s in Severity}:
        raise ValidationFailed(
            _("Unknown severity %(value)s (severity).") % {"value": severity[:8]}
        )
    wanted = changes.IncidentChanges(
        severity=Severity(severity) if severity else changes.KEEP,
        assignee=assignee.strip() if assignee.strip() else changes.KEEP,
    )
    await changes.update_incident(
        act.session,
        incident=act.incident,
        changes=wanted,
        actor=act.actor,
        now=act.now,
        origin=act.origin,
    )


@router.post("/incidents/{incident_id}/change", response_class=HTMLResponse)
async def change(
    act: Managing,
    severity: Annotated[str, Form(max_length=8)] = "",
    assignee: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Severity and assignee; a blank field is kept as it is."""
    return await act.run(_change(act, severity, assignee))
