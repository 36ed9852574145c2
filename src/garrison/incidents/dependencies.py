"""FastAPI dependencies of the incident views: the permission aliases and the one loader.

``CurrentIncident`` is the only way a route gets an incident: it answers 404 for a
missing incident and for one the caller may not see alike, so existence never leaks.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path

from garrison.auth.dependencies import require
from garrison.auth.permissions import Permission
from garrison.auth.principal import Principal
from garrison.incidents.access import Viewer, viewer_for
from garrison.incidents.models import Incident
from garrison.incidents.service import get_visible_incident
from garrison.web.dependencies import DbSession

IncidentReader = Annotated[Principal, Depends(require(Permission.INCIDENT_READ))]
IncidentResponder = Annotated[Principal, Depends(require(Permission.INCIDENT_RESPOND))]
IncidentManager = Annotated[Principal, Depends(require(Permission.INCIDENT_MANAGE))]
IntegrationManager = Annotated[Principal, Depends(require(Permission.INTEGRATION_MANAGE))]


async def current_viewer(principal: IncidentReader, session: DbSession) -> Viewer:
    return await viewer_for(session, principal)


CurrentViewer = Annotated[Viewer, Depends(current_viewer)]


async def current_incident(
    incident_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    viewer: CurrentViewer,
    session: DbSession,
) -> Incident:
    return await get_visible_incident(session, incident_id=incident_id, viewer=viewer)


CurrentIncident = Annotated[Incident, Depends(current_incident)]
