"""The last check before paging: nothing is sent for what must not page.

Service checks already keep maintenance and dependency-blocked (UNREACHABLE)
services from opening incidents. Escalation checks again, from the database, at
start and before each step: an incident whose alerts all say "do not page", or
whose every service is now in maintenance or unreachable behind a failed
dependency, is not escalated.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.incidents.models import Alert, Incident
from garrison.probes.models import ServiceStateRecord
from garrison.probes.states import ServiceState

QUIET_STATES = frozenset({ServiceState.MAINTENANCE.value, ServiceState.UNREACHABLE.value})


async def suppression_reason(session: AsyncSession, *, incident: Incident) -> str | None:
    """Why ``incident`` must not page ("not_paging", "maintenance", "unreachable"), or None."""
    pages = (
        await session.scalars(select(Alert.pages).where(Alert.incident_id == incident.id))
    ).all()
    if pages and not any(pages):
        return "not_paging"
    if not incident.services:
        return None
    states = (
        await session.execute(
            select(ServiceStateRecord.state, ServiceStateRecord.in_maintenance).where(
                ServiceStateRecord.service_id.in_(list(incident.services))
            )
        )
    ).all()
    if len(states) < len(set(incident.services)):
        return None
    if all(
        in_maintenance or state == ServiceState.MAINTENANCE.value
        for state, in_maintenance in states
    ):
        return "maintenance"
    if all(in_maintenance or state in QUIET_STATES for state, in_maintenance in states):
        return "unreachable"
    return None
