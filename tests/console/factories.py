"""Incidents and signed-in browsers for the console tests."""

from __future__ import annotations

import httpx

from garrison.audit.actor import Actor
from garrison.auth.permissions import Role
from garrison.incidents.service import NewIncident, open_incident
from garrison.incidents.vocabulary import Category, Classification, Severity
from garrison.runtime.context import AppContext
from tests.auth.factories import log_in, make_user


async def make_incident(
    context: AppContext,
    *,
    title: str = "Uplink down",
    classification: Classification = Classification.INTERNAL,
    severity: Severity = Severity.SEV2,
) -> int:
    async with context.sessions() as session:
        incident = await open_incident(
            session,
            new=NewIncident(
                title=title,
                severity=severity,
                category=Category.AVAILABILITY,
                classification=classification,
            ),
            actor=Actor.system("test"),
            now=context.clock.now(),
        )
        await session.commit()
        return incident.id


async def browser_login(
    context: AppContext, client: httpx.AsyncClient, username: str, role: Role
) -> str:
    """A user signed in with a session cookie on ``client``; returns the CSRF token."""
    await make_user(context, username, role=role)
    return await log_in(client, username)
