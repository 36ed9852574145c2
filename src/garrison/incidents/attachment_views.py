"""Attachments over HTTP: upload (multipart ``file``), list, download as an attachment.

The incident is loaded through ``CurrentIncident``: a hidden incident's files are 404.
"""

from __future__ import annotations

from fastapi import APIRouter, UploadFile
from fastapi.responses import FileResponse

from garrison.audit.actor import Actor
from garrison.incidents import attachments
from garrison.incidents.dependencies import CurrentIncident, IncidentResponder
from garrison.incidents.outbox import commit_and_publish
from garrison.incidents.schemas import AttachmentOut
from garrison.web.dependencies import Context, DbSession, Origin

router = APIRouter(tags=["incidents"])


@router.post("/incidents/{incident_id}/attachments", response_model=AttachmentOut, status_code=201)
async def upload_attachment(
    *,
    file: UploadFile,
    principal: IncidentResponder,
    incident: CurrentIncident,
    context: Context,
    session: DbSession,
    origin: Origin,
) -> AttachmentOut:
    """A file as multipart ``file``; at most ``incidents.max_attachment_bytes``, and the
    request as a whole within ``max_request_bytes`` (1 MiB unless raised)."""
    attachment = await attachments.store_upload(
        session,
        incident=incident,
        upload=file,
        data_dir=context.settings.data_dir,
        actor=Actor.from_principal(principal),
        now=context.clock.now(),
        origin=origin,
    )
    await commit_and_publish(session, context.bus)
    return AttachmentOut.of(attachment)


@router.get("/incidents/{incident_id}/attachments", response_model=list[AttachmentOut])
async def list_attachments(*, incident: CurrentIncident, session: DbSession) -> list[AttachmentOut]:
    found = await attachments.list_attachments(session, incident_id=incident.id)
    return [AttachmentOut.of(attachment) for attachment in found]


@router.get(
    "/incidents/{incident_id}/attachments/{attachment_id}",
    response_class=FileResponse,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
async def download_attachment(
    *,
    attachment_id: int,
    incident: CurrentIncident,
    context: Context,
    session: DbSession,
) -> FileResponse:
    return await attachments.download_response(
        session,
        incident_id=incident.id,
        attachment_id=attachment_id,
        data_dir=context.settings.data_dir,
    )
