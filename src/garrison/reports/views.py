"""Reports over HTTP (``report:read``): shift, daily and final reports as HTML, PDF, JSON or
CSV, and the incident report forms."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import HTMLResponse, Response

from garrison.auth.dependencies import require
from garrison.auth.permissions import Permission
from garrison.auth.principal import Principal
from garrison.duty.dependencies import EventConfiguration
from garrison.incidents.access import viewer_for
from garrison.incidents.service import get_visible_incident
from garrison.reports.incident_forms import render_incident_form
from garrison.reports.render import MEDIA_TYPES
from garrison.reports.service import ReportRequest, build_report, templates_dir_of
from garrison.web.dependencies import Context, DbSession

router = APIRouter(tags=["reports"])

ReportReader = Annotated[Principal, Depends(require(Permission.REPORT_READ))]
Format = Literal["html", "pdf", "json", "csv"]
Language = Literal["vi", "en"]


@router.get("/reports/{kind}")
async def report(
    _p: ReportReader,
    kind: Literal["shift", "daily", "final"],
    config: EventConfiguration,
    context: Context,
    session: DbSession,
    file_format: Annotated[Format, Query(alias="format")] = "html",
    lang: Language = "vi",
    day: Annotated[date | None, Query(alias="date")] = None,
) -> Response:
    """The report as a file; ``date`` (event-local) picks the day of a daily report."""
    now = context.clock.now()
    content = await build_report(
        session,
        config=config,
        config_file=context.settings.config_file,
        request=ReportRequest(kind=kind, file_format=file_format, language=lang, day=day),
        now=now,
    )
    filename = f"{kind}-report-{now.astimezone(config.event.zone):%Y%m%d-%H%M}.{file_format}"
    disposition = "inline" if file_format == "html" else "attachment"
    return Response(
        content,
        media_type=MEDIA_TYPES[file_format],
        headers={"Content-Disposition": f'{disposition}; filename="{filename}"'},
    )


@router.get("/incidents/{incident_id}/forms/{form}", response_class=HTMLResponse)
async def incident_form(
    principal: ReportReader,
    incident_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    form: Literal["notification", "initial", "closure"],
    config: EventConfiguration,
    context: Context,
    session: DbSession,
    lang: Language = "vi",
) -> HTMLResponse:
    incident = await get_visible_incident(
        session, incident_id=incident_id, viewer=await viewer_for(session, principal)
    )
    html = await render_incident_form(
        session,
        incident=incident,
        config=config,
        form=form,
        language=lang,
        templates_dir=templates_dir_of(config, context.settings.config_file),
    )
    return HTMLResponse(html)
