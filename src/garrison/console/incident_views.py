"""Incident pages: the filtered list, one incident with its timeline, and its actions.

Actions are plain forms (they work without JavaScript); each calls the incidents
domain's own service function and redirects back to the incident page.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.audit.actor import Actor
from garrison.auth.permissions import Permission
from garrison.auth.principal import Principal, RequestOrigin
from garrison.console.dependencies import (
    IncidentManagerPage,
    IncidentPage,
    IncidentResponderPage,
    PageIncident,
    PageViewer,
)
from garrison.console.labels import incident_labels
from garrison.directives.queries import DirectiveFilter, Scope, list_directives
from garrison.directives.service import sees_every_directive
from garrison.errors import GarrisonError, ValidationFailed
from garrison.event import service as event_service
from garrison.i18n import gettext as _
from garrison.incidents import changes, transitions
from garrison.incidents.attachments import list_attachments
from garrison.incidents.models import Incident
from garrison.incidents.outbox import commit_and_publish
from garrison.incidents.service import IncidentFilter, list_alerts, list_incidents, usernames
from garrison.incidents.timeline import describe_entry, list_timeline
from garrison.incidents.vocabulary import Category, IncidentStatus, Severity
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
        "severities": [s.value for s in Severity],
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


async def _act(
    request: Request,
    session: AsyncSession,
    context: Context,
    *,
    principal: Principal,
    incident: Incident,
    action: str,
    origin: RequestOrigin,
    text: str = "",
) -> Response:
    actor = Actor.from_principal(principal)
    now = context.clock.now()
    note = text.strip() or None
    try:
        if action == "acknowledge":
            await transitions.acknowledge_incident(
                session, incident=incident, actor=actor, now=now, note=note, origin=origin
            )
        elif action == "mitigate":
            await transitions.mitigate_incident(
                session, incident=incident, actor=actor, now=now, note=note, origin=origin
            )
        elif action == "resolve":
            await transitions.resolve_incident(
                session, incident=incident, actor=actor, now=now, note=note, origin=origin
            )
        elif action == "close":
            await transitions.close_incident(
                session, incident=incident, actor=actor, now=now, note=note, origin=origin
            )
        else:
            await changes.add_note(
                session, incident=incident, text=text, actor=actor, now=now, origin=origin
            )
        await commit_and_publish(session, context.bus)
    except GarrisonError as exc:
        await session.rollback()
        await session.refresh(incident)
        return await render_detail(
            request,
            session,
            principal=principal,
            incident=incident,
            context=context,
            error=str(exc),
            status_code=exc.http_status,
        )
    return RedirectResponse(f"/incidents/{incident.id}", status_code=303)


@router.post("/incidents/{incident_id}/acknowledge", response_class=HTMLResponse)
async def acknowledge(
    request: Request,
    principal: IncidentResponderPage,
    incident: PageIncident,
    session: DbSession,
    context: Context,
    origin: Origin,
    note: NoteText = "",
) -> Response:
    return await _act(
        request, session, context, principal=principal, incident=incident,
        action="acknowledge", origin=origin, text=note,
    )  # fmt: skip


@router.post("/incidents/{incident_id}/mitigate", response_class=HTMLResponse)
async def mitigate(
    request: Request,
    principal: IncidentResponderPage,
    incident: PageIncident,
    session: DbSession,
    context: Context,
    origin: Origin,
    note: NoteText = "",
) -> Response:
    return await _act(
        request, session, context, principal=principal, incident=incident,
        action="mitigate", origin=origin, text=note,
    )  # fmt: skip


@router.post("/incidents/{incident_id}/resolve", response_class=HTMLResponse)
async def resolve(
    request: Request,
    principal: IncidentResponderPage,
    incident: PageIncident,
    session: DbSession,
    context: Context,
    origin: Origin,
    note: NoteText = "",
) -> Response:
    return await _act(
        request, session, context, principal=principal, incident=incident,
        action="resolve", origin=origin, text=note,
    )  # fmt: skip


@router.post("/incidents/{incident_id}/close", response_class=HTMLResponse)
async def close(
    request: Request,
    principal: IncidentManagerPage,
    incident: PageIncident,
    session: DbSession,
    context: Context,
    origin: Origin,
    note: NoteText = "",
) -> Response:
    return await _act(
        request, session, context, principal=principal, incident=incident,
        action="close", origin=origin, text=note,
    )  # fmt: skip


@router.post("/incidents/{incident_id}/note", response_class=HTMLResponse)
async def add_note(
    request: Request,
    principal: IncidentResponderPage,
    incident: PageIncident,
    session: DbSession,
    context: Context,
    origin: Origin,
    text: NoteText = "",
) -> Response:
    return await _act(
        request, session, context, principal=principal, incident=incident,
        action="note", origin=origin, text=text,
    )  # fmt: skip


@router.post("/incidents/{incident_id}/change", response_class=HTMLResponse)
async def change(
    request: Request,
    principal: IncidentManagerPage,
    incident: PageIncident,
    session: DbSession,
    context: Context,
    origin: Origin,
    severity: Annotated[str, Form(max_length=8)] = "",
    assignee: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Severity and assignee; a blank field is kept as it is."""
    try:
        if severity and severity not in {s.value for s in Severity}:
            raise ValidationFailed(
                _("Unknown severity %(value)s (severity).") % {"value": severity[:8]}
            )
        wanted = changes.IncidentChanges(
            severity=Severity(severity) if severity else changes.KEEP,
            assignee=assignee.strip() if assignee.strip() else changes.KEEP,
        )
        await changes.update_incident(
            session,
            incident=incident,
            changes=wanted,
            actor=Actor.from_principal(principal),
            now=context.clock.now(),
            origin=origin,
        )
        await commit_and_publish(session, context.bus)
    except GarrisonError as exc:
        await session.rollback()
        await session.refresh(incident)
        return await render_detail(
            request, session, principal=principal, incident=incident, context=context,
            error=str(exc), status_code=exc.http_status,
        )  # fmt: skip
    return RedirectResponse(f"/incidents/{incident.id}", status_code=303)
