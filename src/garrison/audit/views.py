"""The audit log over HTTP: read it, and check that it is intact."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from garrison.audit.schemas import AuditEntryOut, AuditPage, VerifyReportOut
from garrison.audit.service import list_audit
from garrison.audit.verify import verify_chain
from garrison.auth.dependencies import require
from garrison.auth.permissions import Permission
from garrison.auth.principal import Principal
from garrison.web.dependencies import DbSession

MAX_PAGE = 500

router = APIRouter(prefix="/audit", tags=["audit"])

AuditReader = Annotated[Principal, Depends(require(Permission.AUDIT_READ))]


@router.get("", response_model=AuditPage)
async def list_entries(
    *,
    _principal: AuditReader,
    session: DbSession,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    before_seq: Annotated[int | None, Query(ge=1)] = None,
    action: Annotated[str | None, Query(max_length=100)] = None,
    target_type: Annotated[str | None, Query(max_length=64)] = None,
    target_id: Annotated[str | None, Query(max_length=200)] = None,
    actor: Annotated[str | None, Query(max_length=200)] = None,
) -> AuditPage:
    entries = await list_audit(
        session,
        limit=limit,
        before_seq=before_seq,
        action=action,
        target_type=target_type,
        target_id=target_id,
        actor=actor,
    )
    more = len(entries) == limit and entries[-1].seq > 1
    return AuditPage(
        entries=[AuditEntryOut.from_entry(entry) for entry in entries],
        next_before_seq=entries[-1].seq if more else None,
    )


@router.get("/verify", response_model=VerifyReportOut)
async def verify_log(*, _principal: AuditReader, session: DbSession) -> VerifyReportOut:
    return VerifyReportOut.from_report(await verify_chain(session))
