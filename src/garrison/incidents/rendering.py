"""Incidents as the API shows them: with usernames, need-to-know lists, alert counts, timings."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from garrison.incidents import service
from garrison.incidents.models import Incident
from garrison.incidents.schemas import IncidentOut, incident_out


async def render_incidents(
    session: AsyncSession, incidents: Sequence[Incident]
) -> list[IncidentOut]:
    ids = [incident.id for incident in incidents]
    names = await service.usernames(
        session,
        user_ids=[i.commander_id for i in incidents] + [i.assignee_id for i in incidents],
    )
    access = await service.access_lists(session, incident_ids=ids)
    counts = await service.count_alerts(session, incident_ids=ids)
    return [
        incident_out(
            incident,
            names=names,
            access=access[incident.id],
            alerts=counts.get(incident.id, (0, 0)),
            timings=service.timings(incident),
        )
        for incident in incidents
    ]


async def render_incident(session: AsyncSession, incident: Incident) -> IncidentOut:
    return (await render_incidents(session, [incident]))[0]
