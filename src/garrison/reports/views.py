"""Reports over HTTP (``report:read``): shift, daily and final reports as HTML, PDF, JSON or
CSV, the shift reports stored at handovers, and the incident report forms."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from garrison.auth.dependencies import require
from garrison.auth.permissions import Permission
from garrison.auth.principal import Principal
from garrison.duty.dependencies import EventConfiguration
from garrison.incidents.access import viewer_for
from garrison.incidents.service import get_visible_incident
from garrison.reports import shift
from garrison.reports.incident_forms import render_incident_form
from garrison.reports.render import MEDIA_TYPES
from garrison.reports.service import ReportRequest, build_report, templates_dir_of
from garrison.web.dependencies import Context, DbSession

router = APIRouter(tags=["reports"])

ReportReader = Annotated[Principal, Depends(require(Permission.REPORT_READ))]
Format = Literal["html", "pdf", "json", "csv"]
Language = Literal["vi", "en"]


class ShiftReportOut(BaseModel):
    id: int
    post_id: str
    person_id: str
    shift_start: datetime
    shift_end: datetime
    handover_id: int | None
    since: datetime
    until: datetime
    language: str
    generated_at: datetime
    delivered_at: datetime | None
    sent_to: list[str]
    delivery_error: str | None


# Declared before /reports/{kind}, which would otherwise take "shifts" for a kind.
@router.get("/reports/shifts", response_model=list[ShiftReportOut])
async def shift_reports(
    _p: ReportReader,
    session: DbSession,
    post: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    before_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> list[ShiftReportOut]:
    """The shift reports written at handovers, newest first."""
    found = await shift.list_shift_reports(session, post_id=post, limit=limit, before_id=before_id)
    return [ShiftReportOut.model_validate(row, from_attributes=True) for row in found]


@router.get("/reports/shifts/{report_id}")
async def shift_report(
    _p: ReportReader,
    report_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    config: EventConfiguration,
    session: DbSession,
    file_format: Annotated[Literal["html", "pdf", "json"], Query(alias="format")] = "html",
) -> Response:
    """A stored shift report, as it was written (and emailed) at the handover."""
    report = await shift.get_shift_report(session, report_id=report_id)
    if file_format == "json":
        content = json.dumps(report.figures, ensure_ascii=False, indent=2).encode()
    else:
        content = report.html if file_format == "html" else report.pdf
    filename = shift.file_name(report, config, file_format)
    disposition = "inline" if file_format == "html" else "attachment"
    return Response(
        content,
        media_type=MEDIA_TYPES[file_format],
        headers={"Content-Disposition": f'{disposition}; filename="{filename}"'},
    )


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
