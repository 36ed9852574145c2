"""Files attached to an incident: kept under ``<data_dir>/attachments/<incident id>/``.

The content type is sniffed from the first bytes, never taken from the sender, and
files are always served as downloads, so nothing uploaded runs in a browser.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import unicodedata
import uuid
from datetime import datetime
from pathlib import Path

from fastapi import UploadFile
from fastapi.responses import FileResponse
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.audit.actor import Actor
from garrison.audit.service import record_audit
from garrison.auth.principal import RequestOrigin
from garrison.errors import NotFoundError, ValidationFailed
from garrison.i18n import gettext as _
from garrison.incidents.errors import PayloadTooLarge
from garrison.incidents.models import FILENAME_LENGTH, Attachment, Incident
from garrison.incidents.policy import load_policy
from garrison.incidents.timeline import TimelineKind, add_timeline_entry

MAX_ATTACHMENTS_PER_INCIDENT = 200
UPLOAD_CHUNK = 64 * 1024
OCTET_STREAM = "application/octet-stream"
PLAIN_TEXT = "text/plain; charset=utf-8"
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
    (b"PK\x03\x04", "application/zip"),
    (b"\x1f\x8b", "application/gzip"),
    (b"\xd4\xc3\xb2\xa1", "application/vnd.tcpdump.pcap"),
    (b"\xa1\xb2\xc3\xd4", "application/vnd.tcpdump.pcap"),
    (b"\x0a\x0d\x0d\x0a", "application/vnd.tcpdump.pcap"),
    (b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
)


def sniff_content_type(content: bytes) -> str:
    """The type the bytes show; text only when it decodes as UTF-8 without NUL."""
    for signature, content_type in _SIGNATURES:
        if content.startswith(signature):
            return content_type
    if content[:8].startswith(b"RIFF") and content[8:12] == b"WEBP":
        return "image/webp"
    sample = content[:8192]
    if b"\x00" in sample:
        return OCTET_STREAM
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the sample's end is still text.
        if exc.start < len(sample) - 3:
            return OCTET_STREAM
    return PLAIN_TEXT


def safe_filename(name: str | None) -> str:
    """A file name to show and to offer for download: no path, no control characters."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(
        character
        for character in unicodedata.normalize("NFC", base)
        if unicodedata.category(character)[0] != "C"
    ).strip(" .")
    if len(base) > FILENAME_LENGTH:
        stem, dot, suffix = base.rpartition(".")
        keep = FILENAME_LENGTH - len(suffix) - 1
        base = f"{stem[:keep]}.{suffix}" if dot and 0 < len(suffix) < 16 else base[:FILENAME_LENGTH]
    return base or "attachment"


def attachment_path(data_dir: Path, attachment: Attachment) -> Path:
    return data_dir / "attachments" / str(attachment.incident_id) / attachment.stored_name


def _write_file(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with partial.open("wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    partial.replace(path)


async def store_attachment(
    session: AsyncSession,
    *,
    incident: Incident,
    filename: str | None,
    content: bytes,
    data_dir: Path,
    max_bytes: int,
    actor: Actor,
    now: datetime,
    origin: RequestOrigin | None = None,
) -> Attachment:
    """Write the file, then its row; the file is removed again if the row cannot be written."""
    if len(content) > max_bytes:
        raise PayloadTooLarge(
            _("An attachment may have at most %(limit)d bytes.") % {"limit": max_bytes}
        )
    if not content:
        raise ValidationFailed(_("The attachment is empty (file)."))
    count = await session.scalar(
        select(func.count(Attachment.id)).where(Attachment.incident_id == incident.id)
    )
    if int(count or 0) >= MAX_ATTACHMENTS_PER_INCIDENT:
        raise ValidationFailed(
            _("An incident may have at most %(count)d attachments.")
            % {"count": MAX_ATTACHMENTS_PER_INCIDENT}
        )
    attachment = Attachment(
        incident_id=incident.id,
        filename=safe_filename(filename),
        content_type=sniff_content_type(content),
        size_bytes=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        stored_name=uuid.uuid4().hex,
        uploaded_at=now,
        uploaded_by=actor.name[:200],
    )
    path = attachment_path(data_dir, attachment)
    await asyncio.to_thread(_write_file, path, content)
    try:
        session.add(attachment)
        await session.flush()
        await add_timeline_entry(
            session,
            incident_id=incident.id,
            kind=TimelineKind.ATTACHMENT,
            at=now,
            actor=actor,
            data={
                "attachment_id": attachment.id,
                "filename": attachment.filename,
                "content_type": attachment.content_type,
                "size_bytes": attachment.size_bytes,
            },
        )
        await record_audit(
            session,
            actor=actor,
            action="incident.attachment_added",
            target_type="incident",
            target_id=str(incident.id),
            at=now,
            after={
                "attachment_id": attachment.id,
                "filename": attachment.filename,
                "content_type": attachment.content_type,
                "size_bytes": attachment.size_bytes,
                "sha256": attachment.sha256,
            },
            origin=origin,
        )
    except BaseException:
        await asyncio.to_thread(path.unlink, missing_ok=True)
        raise
    return attachment


async def store_upload(
    session: AsyncSession,
    *,
    incident: Incident,
    upload: UploadFile,
    data_dir: Path,
    actor: Actor,
    now: datetime,
    origin: RequestOrigin | None = None,
) -> Attachment:
    """Store a posted file within the incidents policy's size limit; reading stops one
    chunk past the limit, enough for ``store_attachment`` to refuse it."""
    limit = (await load_policy(session)).max_attachment_bytes
    content = bytearray()
    while chunk := await upload.read(UPLOAD_CHUNK):
        content.extend(chunk)
        if len(content) > limit:
            break
    return await store_attachment(
        session,
        incident=incident,
        filename=upload.filename,
        content=bytes(content),
        data_dir=data_dir,
        max_bytes=limit,
        actor=actor,
        now=now,
        origin=origin,
    )


async def list_attachments(session: AsyncSession, *, incident_id: int) -> list[Attachment]:
    query = select(Attachment).where(Attachment.incident_id == incident_id).order_by(Attachment.id)
    return list((await session.scalars(query)).all())


async def get_attachment(
    session: AsyncSession, *, incident_id: int, attachment_id: int
) -> Attachment:
    attachment = await session.get(Attachment, attachment_id)
    if attachment is None or attachment.incident_id != incident_id:
        raise NotFoundError(_("There is no such attachment."))
    return attachment


async def download_response(
    session: AsyncSession, *, incident_id: int, attachment_id: int, data_dir: Path
) -> FileResponse:
    """The file as a download, with the sniffed content type and its safe name."""
    attachment = await get_attachment(session, incident_id=incident_id, attachment_id=attachment_id)
    path = attachment_path(data_dir, attachment)
    if not path.is_file():
        raise NotFoundError(_("The attachment's file is missing from the data directory."))
    return FileResponse(
        path,
        media_type=attachment.content_type,
        filename=attachment.filename,
        content_disposition_type="attachment",
    )
