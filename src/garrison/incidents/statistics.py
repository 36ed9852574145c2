"""Incident statistics: counts and response times, drills left out unless asked for."""

from __future__ import annotations

import statistics as stats
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.incidents.access import Viewer, visible_to
from garrison.incidents.models import Incident
from garrison.incidents.service import timings

MAX_INCIDENTS = 100_000


@dataclass(frozen=True, slots=True)
class IncidentStatistics:
    incidents: int
    drills_included: bool
    by_severity: dict[str, int]
    by_status: dict[str, int]
    mean_seconds_to_acknowledge: float | None
    mean_seconds_to_mitigate: float | None
    mean_seconds_to_resolve: float | None
    median_seconds_to_acknowledge: float | None
    median_seconds_to_resolve: float | None


def _mean(values: list[float]) -> float | None:
    return round(stats.fmean(values), 3) if values else None


def _median(values: list[float]) -> float | None:
    return round(stats.median(values), 3) if values else None


async def incident_statistics(
    session: AsyncSession,
    *,
    viewer: Viewer,
    include_drills: bool = False,
    opened_after: datetime | None = None,
    opened_before: datetime | None = None,
) -> IncidentStatistics:
    """Over the incidents ``viewer`` may see; merged incidents count in their target only."""
    query = (
        select(Incident)
        .where(visible_to(viewer), Incident.merged_into_id.is_(None))
        .limit(MAX_INCIDENTS)
    )
    if not include_drills:
        query = query.where(Incident.is_drill.is_(False))
    if opened_after is not None:
        query = query.where(Incident.opened_at >= opened_after)
    if opened_before is not None:
        query = query.where(Incident.opened_at < opened_before)
    incidents = list((await session.scalars(query)).all())
    by_severity: dict[str, int] = {}
    by_status: dict[str, int] = {}
    acknowledge: list[float] = []
    mitigate: list[float] = []
    resolve: list[float] = []
    for incident in incidents:
        by_severity[incident.severity] = by_severity.get(incident.severity, 0) + 1
        by_status[incident.status] = by_status.get(incident.status, 0) + 1
        found = timings(incident)
        for values, value in (
            (acknowledge, found.seconds_to_acknowledge),
            (mitigate, found.seconds_to_mitigate),
            (resolve, found.seconds_to_resolve),
        ):
            if value is not None:
                values.append(value)
    return IncidentStatistics(
        incidents=len(incidents),
        drills_included=include_drills,
        by_severity=dict(sorted(by_severity.items())),
        by_status=dict(sorted(by_status.items())),
        mean_seconds_to_acknowledge=_mean(acknowledge),
        mean_seconds_to_mitigate=_mean(mitigate),
        mean_seconds_to_resolve=_mean(resolve),
        median_seconds_to_acknowledge=_median(acknowledge),
        median_seconds_to_resolve=_median(resolve),
    )
