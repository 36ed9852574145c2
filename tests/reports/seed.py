"""A few recorded facts for the report tests: real incidents and one drill incident."""

from __future__ import annotations

from datetime import datetime, timedelta

from garrison.incidents.service import NewIncident, open_incident
from garrison.incidents.transitions import acknowledge_incident
from garrison.incidents.vocabulary import Category, Classification, Severity
from garrison.runtime.context import AppContext
from tests.readiness.factories import TEST_ACTOR


async def seed_incidents(context: AppContext, at: datetime) -> None:
    """Two real incidents (SEV1 availability acknowledged after 2 min, SEV3 defacement) and
    one drill incident, opened at ``at``."""
    async with context.sessions() as session:
        for severity, category, is_drill, ack in (
            (Severity.SEV1, Category.AVAILABILITY, False, 2),
            (Severity.SEV3, Category.DEFACEMENT, False, None),
            (Severity.SEV2, Category.MALWARE, True, 1),
        ):
            incident = await open_incident(
                session,
                new=NewIncident(
                    title="Seeded",
                    severity=severity,
                    category=category,
                    classification=Classification.INTERNAL,
                    is_drill=is_drill,
                ),
                actor=TEST_ACTOR,
                now=at,
            )
            if ack is not None:
                await acknowledge_incident(
                    session, incident=incident, actor=TEST_ACTOR, now=at + timedelta(minutes=ack)
                )
        await session.commit()
