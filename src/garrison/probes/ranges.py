"""The time range of a read (``since``/``until``), parsed once as a FastAPI dependency.

Naive times are the event's; the default range is the last day; a range longer
than ``MAX_RANGE`` is cut to its last ``MAX_RANGE``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Depends, Query

from garrison.probes import service
from garrison.probes.schemas import HistoryPage, StateChangeOut
from garrison.web.dependencies import Context, DbSession

MAX_RANGE = timedelta(days=400)
DEFAULT_RANGE = timedelta(days=1)

Since = Annotated[
    datetime | None,
    Query(description="Start of the range (default: a day before 'until'); naive = event time."),
]
Until = Annotated[datetime | None, Query(description="End of the range (default: now).")]
PageSize = Annotated[int, Query(ge=1, le=service.MAX_PAGE)]
BeforeId = Annotated[int | None, Query(ge=1, description="The next_before_id of the last page.")]


@dataclass(frozen=True, slots=True)
class TimeRange:
    since: datetime
    until: datetime


async def time_range(
    session: DbSession, context: Context, since: Since = None, until: Until = None
) -> TimeRange:
    zone = await service.event_zone(session)
    end = service.in_zone(until, zone) if until is not None else context.clock.now()
    start = service.in_zone(since, zone) if since is not None else end - DEFAULT_RANGE
    service.check_range(start, end)
    return TimeRange(since=max(start, end - MAX_RANGE), until=end)


Range = Annotated[TimeRange, Depends(time_range)]


async def history_page(
    session: DbSession,
    *,
    subject_kind: str,
    subject_id: str,
    span: TimeRange,
    limit: int,
    before_id: int | None,
) -> HistoryPage:
    rows = await service.list_changes(
        session,
        subject_kind=subject_kind,
        subject_id=subject_id,
        since=span.since,
        until=span.until,
        limit=limit,
        before_id=before_id,
    )
    return HistoryPage(
        changes=[StateChangeOut.of(row) for row in rows],
        next_before_id=rows[-1].id if len(rows) == limit else None,
    )
