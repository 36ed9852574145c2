"""The reports page (``report:read``): the daily report of a day of the event and the final
report in every format and language, the shift reports stored at handovers, the daily
reports the report worker stored, and the results of the drills that are over."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.config import EventConfig
from garrison.console.dependencies import OptionalEventConfig, ReportPage
from garrison.console.report_files import stored_daily_file, stored_daily_reports
from garrison.drills import service as drills
from garrison.errors import ConflictError, GarrisonError, ValidationFailed
from garrison.event import service as event_service
from garrison.i18n import gettext as _
from garrison.reports import shift
from garrison.reports.figures import local_days
from garrison.reports.render import FORMATS, LANGUAGES, MEDIA_TYPES
from garrison.reports.service import ReportRequest, build_report
from garrison.runtime.context import AppContext
from garrison.web.dependencies import Context, DbSession
from garrison.web.templating import render

router = APIRouter(include_in_schema=False)

SHIFT_PAGE = 50
Format = Literal["html", "pdf", "json", "csv"]
Language = Literal["vi", "en"]


def event_days(config: EventConfig) -> list[date]:
    """The event's local days, from its start to its end."""
    zone = config.event.zone
    return [
        date.fromisoformat(label)
        for label, _low, _high in local_days(config.event.start, config.event.end, zone)
    ]


def default_day(days: list[date], today: date) -> date | None:
    """Today when it is a day of the event, else the nearest one."""
    if not days:
        return None
    return min(max(today, days[0]), days[-1])


async def _timezone(session: AsyncSession, config: EventConfig | None) -> str:
    if config is not None:
        return config.event.timezone
    event = await event_service.find_event(session)
    return event.timezone if event else "UTC"


async def _page(
    request: Request,
    session: AsyncSession,
    context: AppContext,
    *,
    config: EventConfig | None,
    before_id: int | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    now = context.clock.now()
    days = event_days(config) if config is not None else []
    found = await shift.list_shift_reports(
        session, post_id=None, limit=SHIFT_PAGE + 1, before_id=before_id
    )
    organisation = config.organisation if config is not None else None
    values: dict[str, Any] = {
        "configured": config is not None,
        "days": days,
        "default_day": default_day(days, now.astimezone(config.event.zone).date())
        if config is not None
        else None,
        "formats": FORMATS,
        "languages": LANGUAGES,
        "shift_reports": found[:SHIFT_PAGE],
        "older_than": found[SHIFT_PAGE - 1].id if len(found) > SHIFT_PAGE else None,
        "paged": before_id is not None,
        "post_names": {p.id: p.name for p in organisation.posts} if organisation else {},
        "person_names": {p.id: p.name for p in organisation.people} if organisation else {},
        "stored_daily": stored_daily_reports(context.settings.data_dir),
        # The results of a running drill are for its organisers (the drills page).
        "drills": [
            run for run in reversed(await drills.list_runs(session)) if run.status != drills.RUNNING
        ],
        "timezone": await _timezone(session, config),
        "error": error,
    }
    return render(request, "console/reports.html", values, status_code=status_code)


@router.get("/reports", response_class=HTMLResponse)
async def reports_page(
    request: Request,
    _principal: ReportPage,
    session: DbSession,
    context: Context,
    config: OptionalEventConfig,
    before_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> HTMLResponse:
    return await _page(request, session, context, config=config, before_id=before_id)


def _chosen_day(config: EventConfig, day: date | None, now: datetime) -> date:
    days = event_days(config)
    chosen = day or default_day(days, now.astimezone(config.event.zone).date())
    if chosen is None or chosen not in days:
        raise ValidationFailed(
            _("date: pick a day of the event, %(first)s to %(last)s.")
            % {"first": days[0] if days else "-", "last": days[-1] if days else "-"}
        )
    return chosen


@router.get("/reports/download")
async def download(
    request: Request,
    _principal: ReportPage,
    session: DbSession,
    context: Context,
    config: OptionalEventConfig,
    kind: Annotated[Literal["daily", "final"], Query()],
    file_format: Annotated[Format, Query(alias="format")] = "html",
    lang: Language = "vi",
    day: Annotated[date | None, Query(alias="date")] = None,
) -> Response:
    """The daily report of ``date`` (a day of the event) or the final report, as a file."""
    now = context.clock.now()
    try:
        if config is None:
            raise ConflictError(
                _("Garrison was started without a configuration file: reports need it.")
            )
        chosen = _chosen_day(config, day, now) if kind == "daily" else None
        content = await build_report(
            session,
            config=config,
            config_file=context.settings.config_file,
            request=ReportRequest(kind=kind, file_format=file_format, language=lang, day=chosen),
            now=now,
        )
    except GarrisonError as exc:
        return await _page(
            request, session, context, config=config, error=str(exc), status_code=exc.http_status
        )
    stamp = f"{chosen:%Y%m%d}" if chosen else f"{now.astimezone(config.event.zone):%Y%m%d-%H%M}"
    filename = f"{kind}-report-{stamp}-{lang}.{file_format}"
    disposition = "inline" if file_format == "html" else "attachment"
    return Response(
        content,
        media_type=MEDIA_TYPES[file_format],
        headers={"Content-Disposition": f'{disposition}; filename="{filename}"'},
    )


@router.get("/reports/daily-files/{name}")
async def stored_daily(
    name: Annotated[str, Path(max_length=40)], _principal: ReportPage, context: Context
) -> FileResponse:
    """A daily report as the report worker stored (and emailed) it."""
    path = stored_daily_file(context.settings.data_dir, name)
    file_format = path.suffix.removeprefix(".")
    return FileResponse(
        path,
        media_type=MEDIA_TYPES[file_format],
        filename=path.name,
        content_disposition_type="inline" if file_format == "html" else "attachment",
    )
