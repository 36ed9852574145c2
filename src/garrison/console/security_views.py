"""The security page: detections (rule, author, level, matched fields, events) and event search.

The Detection Rule License asks that a rule's author is shown wherever its
matches are: the author is on every detection, in the list and in detail.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.auth.permissions import Permission
from garrison.console.dependencies import DetectionPage, EventSearchPage
from garrison.detection.alerts.service import AlertFilters, get_alert, list_alerts
from garrison.detection.ingest.service import EventQuery, search_events
from garrison.errors import ValidationFailed
from garrison.event import service as event_service
from garrison.i18n import gettext as _
from garrison.web.dependencies import Context, DbSession
from garrison.web.templating import render

router = APIRouter(include_in_schema=False)

DETECTION_LIMIT = 100
SEARCH_LIMIT = 200
MAX_FIELD_LINES = 8
FIELD_NAME = re.compile(r"^[A-Za-z0-9_@][A-Za-z0-9_.@-]{0,127}$")
LEVELS = ("informational", "low", "medium", "high", "critical")
Short = Annotated[str, Query(max_length=64)]


async def _timezone(session: AsyncSession) -> str:
    event = await event_service.find_event(session)
    return event.timezone if event else "UTC"


@router.get("/security", response_class=HTMLResponse)
async def security_page(
    request: Request,
    principal: DetectionPage,
    session: DbSession,
    level: Short = "",
) -> HTMLResponse:
    chosen = level if level in LEVELS else ""
    alerts = await list_alerts(
        session, filters=AlertFilters(level=chosen or None), limit=DETECTION_LIMIT
    )
    return render(
        request,
        "console/security.html",
        {
            "alerts": alerts,
            "level": chosen,
            "levels": LEVELS,
            "timezone": await _timezone(session),
            "can_search": principal.can(Permission.EVENTS_SEARCH),
        },
    )


@router.get("/security/detections/{alert_id}", response_class=HTMLResponse)
async def detection_page(
    request: Request,
    alert_id: Annotated[str, Path(min_length=1, max_length=36)],
    _principal: DetectionPage,
    session: DbSession,
) -> HTMLResponse:
    alert = await get_alert(session, alert_id=alert_id)
    return render(
        request,
        "console/detection.html",
        {"alert": alert, "timezone": await _timezone(session)},
    )


def _moment(value: str, *, name: str, zone: ZoneInfo) -> datetime | None:
    """A time typed in the event's zone (``datetime-local``), as UTC; blank is no bound."""
    if not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise ValidationFailed(
            _("%(name)s: expected a date and time like 2026-06-01T08:00.") % {"name": name}
        ) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment


def _field_filters(text: str) -> tuple[tuple[str, str], ...]:
    """One ``name=value`` per line; at most MAX_FIELD_LINES."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) > MAX_FIELD_LINES:
        raise ValidationFailed(
            _("fields: at most %(count)d lines of name=value.") % {"count": MAX_FIELD_LINES}
        )
    found: list[tuple[str, str]] = []
    for number, line in enumerate(lines, start=1):
        name, separator, value = line.partition("=")
        if not separator or not FIELD_NAME.match(name.strip()) or len(value) > 1024:
            raise ValidationFailed(
                _("fields, line %(line)d: expected name=value, e.g. source_address=192.0.2.1.")
                % {"line": number}
            )
        found.append((name.strip(), value.strip()))
    return tuple(found)


@router.get("/security/events", response_class=HTMLResponse)
async def event_search_page(
    request: Request,
    _principal: EventSearchPage,
    session: DbSession,
    context: Context,
    source: Short = "",
    since: Short = "",
    until: Short = "",
    fields: Annotated[str, Query(max_length=9000)] = "",
) -> HTMLResponse:
    timezone = await _timezone(session)
    values: dict[str, Any] = {
        "form": {"source": source, "since": since, "until": until, "fields": fields},
        "timezone": timezone,
        "events": [],
        "error": None,
        "searched": bool(request.url.query),
        "limit": SEARCH_LIMIT,
    }
    status_code = 200
    try:
        zone = ZoneInfo(timezone)
        start = _moment(since, name="since", zone=zone)
        end = _moment(until, name="until", zone=zone)
        if start is not None and end is not None and start >= end:
            raise ValidationFailed(_("since: must be before until."))
        query = EventQuery(
            sources=(source.strip(),) if source.strip() else (),
            since=start,
            until=end,
            field_equals=_field_filters(fields),
            limit=SEARCH_LIMIT,
        )
        if values["searched"]:
            values["events"] = await search_events(session, query=query)
    except ValidationFailed as exc:
        values["error"] = str(exc)
        status_code = exc.http_status
    values["now"] = context.clock.now()
    return render(request, "console/security_events.html", values, status_code=status_code)
