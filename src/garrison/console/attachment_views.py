"""Incident attachments in the console: upload (multipart form with CSRF) and download.

The incident is loaded through the console's need-to-know check (``PageIncident``),
so a hidden incident's files are as missing as the incident. The size limit is the
incidents policy's; files are always served as downloads.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, Response

from garrison.audit.actor import Actor
from garrison.console.dependencies import IncidentResponderPage, PageIncident
from garrison.console.incident_views import redirect_or_incident_page
from garrison.incidents import attachments
from garrison.web.dependencies import Context, DbSession, Origin

router = APIRouter(include_in_schema=False)

AttachmentId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.post("/incidents/{incident_id}/attachments", response_class=HTMLResponse)
async def upload_attachment(
    request: Request,
    file: UploadFile,
    principal: IncidentResponderPage,
    incident: PageIncident,
    session: DbSession,
    context: Context,
    origin: Origin,
) -> Response:
    async def store() -> None:
        await attachments.store_upload(
            session,
            incident=incident,
            upload=file,
            data_dir=context.settings.data_dir,
            actor=Actor.from_principal(principal),
            now=context.clock.now(),
            origin=origin,
        )

    return await redirect_or_incident_page(
        request, session, principal=principal, incident=incident, context=context, change=store
    )


@router.get("/incidents/{incident_id}/attachments/{attachment_id}")
async def download_attachment(
    attachment_id: AttachmentId,
    incident: PageIncident,
    session: DbSession,
    context: Context,
) -> FileResponse:
    return await attachments.download_response(
        session,
        incident_id=incident.id,
        attachment_id=attachment_id,
        data_dir=context.settings.data_dir,
    )
