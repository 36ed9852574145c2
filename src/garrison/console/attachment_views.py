"""Incident attachments in the console: upload (multipart form with CSRF) and download.

The incident is loaded through the console's need-to-know check (``PageIncident``),
so a hidden incident's files are as missing as the incident. The size limit is the
incidents policy's; files are always served as downloads.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from garrison.audit.actor import Actor
from garrison.console.dependencies import IncidentResponderPage, PageIncident
from garrison.console.incident_views import render_detail
from garrison.errors import GarrisonError, NotFoundError
from garrison.i18n import gettext as _
from garrison.incidents import attachments
from garrison.incidents.outbox import commit_and_publish
from garrison.incidents.policy import load_policy
from garrison.web.dependencies import Context, DbSession, Origin

router = APIRouter(include_in_schema=False)

UPLOAD_CHUNK = 64 * 1024
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
    try:
        limit = (await load_policy(session)).max_attachment_bytes
        content = bytearray()
        while chunk := await file.read(UPLOAD_CHUNK):
            content.extend(chunk)
            if len(content) > limit:
                break
        await attachments.store_attachment(
            session,
            incident=incident,
            filename=file.filename,
            content=bytes(content),
            data_dir=context.settings.data_dir,
            max_bytes=limit,
            actor=Actor.from_principal(principal),
            now=context.clock.now(),
            origin=origin,
        )
        await commit_and_publish(session, context.bus)
    except GarrisonError as exc:
        await session.rollback()
        await session.refresh(incident)
        return await render_detail(
            request, session, principal=principal, incident=incident, context=context,
            error=str(exc), status_code=exc.http_status,
        )  # fmt: skip
    return RedirectResponse(f"/incidents/{incident.id}", status_code=303)


@router.get("/incidents/{incident_id}/attachments/{attachment_id}")
async def download_attachment(
    attachment_id: AttachmentId,
    incident: PageIncident,
    session: DbSession,
    context: Context,
) -> FileResponse:
    attachment = await attachments.get_attachment(
        session, incident_id=incident.id, attachment_id=attachment_id
    )
    path = attachments.attachment_path(context.settings.data_dir, attachment)
    if not path.is_file():
        raise NotFoundError(_("The attachment's file is missing from the data directory."))
    return FileResponse(
        path,
        media_type=attachment.content_type,
        filename=attachment.filename,
        content_disposition_type="attachment",
    )
