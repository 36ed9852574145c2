"""Dependencies of the console pages: the hub, the viewer, and need-to-know incident loading."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from garrison.auth.dependencies import require_page
from garrison.auth.permissions import Permission
from garrison.auth.principal import Principal
from garrison.config import EventConfig
from garrison.console.board import event_config
from garrison.console.hub import ConsoleHub
from garrison.incidents.access import Viewer, viewer_for
from garrison.incidents.models import Incident
from garrison.incidents.service import get_visible_incident
from garrison.web.dependencies import Context, DbSession

EventPage = Annotated[Principal, Depends(require_page(Permission.EVENT_READ))]
IncidentPage = Annotated[Principal, Depends(require_page(Permission.INCIDENT_READ))]
IncidentResponderPage = Annotated[Principal, Depends(require_page(Permission.INCIDENT_RESPOND))]
IncidentManagerPage = Annotated[Principal, Depends(require_page(Permission.INCIDENT_MANAGE))]
DutyPage = Annotated[Principal, Depends(require_page(Permission.DUTY_READ))]
DutyServerPage = Annotated[Principal, Depends(require_page(Permission.DUTY_SERVE))]
DirectivePage = Annotated[Principal, Depends(require_page(Permission.DIRECTIVE_READ))]
DirectiveIssuerPage = Annotated[Principal, Depends(require_page(Permission.DIRECTIVE_ISSUE))]
CheckPage = Annotated[Principal, Depends(require_page(Permission.CHECK_READ))]
BaselineApproverPage = Annotated[Principal, Depends(require_page(Permission.BASELINE_APPROVE))]
DetectionPage = Annotated[Principal, Depends(require_page(Permission.DETECTION_READ))]
EventSearchPage = Annotated[Principal, Depends(require_page(Permission.EVENTS_SEARCH))]
UserPage = Annotated[Principal, Depends(require_page(Permission.USER_READ))]
UserManagerPage = Annotated[Principal, Depends(require_page(Permission.USER_MANAGE))]
AuditPage = Annotated[Principal, Depends(require_page(Permission.AUDIT_READ))]
DrillManagerPage = Annotated[Principal, Depends(require_page(Permission.DRILL_MANAGE))]
ReportPage = Annotated[Principal, Depends(require_page(Permission.REPORT_READ))]


def console_hub(request: Request, context: Context) -> ConsoleHub:
    """The app's one hub, made on first use (nothing is built at import or without a listener)."""
    hub = getattr(request.app.state, "console_hub", None)
    if not isinstance(hub, ConsoleHub):
        hub = ConsoleHub(bus=context.bus, sessions=context.sessions)
        request.app.state.console_hub = hub
    return hub


Hub = Annotated[ConsoleHub, Depends(console_hub)]


async def page_viewer(principal: IncidentPage, session: DbSession) -> Viewer:
    return await viewer_for(session, principal)


PageViewer = Annotated[Viewer, Depends(page_viewer)]


async def page_incident(
    incident_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    viewer: PageViewer,
    session: DbSession,
) -> Incident:
    """The incident if the caller may see it; the same 404 as a missing one otherwise."""
    return await get_visible_incident(session, incident_id=incident_id, viewer=viewer)


PageIncident = Annotated[Incident, Depends(page_incident)]


def optional_event_config(context: Context) -> EventConfig | None:
    return event_config(context.settings)


OptionalEventConfig = Annotated[EventConfig | None, Depends(optional_event_config)]
