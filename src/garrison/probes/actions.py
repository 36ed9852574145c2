"""What operators change at run time, each audited in the same transaction.

Pausing and resuming a check, approving a content baseline, adding and ending
maintenance windows. These functions store the change; the view commits and then
tells the running engine over the bus.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.audit.actor import Actor
from garrison.audit.service import record_audit
from garrison.auth.principal import RequestOrigin
from garrison.config.checks import MaintenanceWindow
from garrison.errors import ConflictError, ValidationFailed
from garrison.event.models import ServiceRecord
from garrison.i18n import gettext as _
from garrison.probes.models import (
    BaselineRecord,
    CheckRecord,
    CheckStateRecord,
    MaintenanceRecord,
)
from garrison.probes.runtime_state import API_SOURCE
from garrison.probes.service import get_check, get_window
from garrison.probes.states import CheckState

MAX_SNAPSHOT_ORIGINS = 1_000


async def set_check_paused(
    session: AsyncSession,
    *,
    check_id: str,
    paused: bool,
    reason: str,
    actor: Actor,
    at: datetime,
    origin: RequestOrigin | None = None,
) -> CheckStateRecord:
    await get_check(session, check_id=check_id, active=True)
    state = await session.get(CheckStateRecord, check_id)
    if state is None:
        state = CheckStateRecord(
            check_id=check_id,
            state=CheckState.UNKNOWN.value,
            since=at,
            reason="",
            paused=False,
            updated_at=at,
        )
        session.add(state)
    if state.paused == paused:
        message = _("The check is already paused.") if paused else _("The check is not paused.")
        raise ConflictError(message)
    before = _pause_document(state)
    state.paused = paused
    state.paused_at = at if paused else None
    state.paused_by = actor.name if paused else None
    state.paused_reason = reason if paused else None
    state.updated_at = at
    await session.flush()
    await record_audit(
        session,
        actor=actor,
        action="probes.check.pause" if paused else "probes.check.resume",
        target_type="check",
        target_id=check_id,
        at=at,
        before=before,
        after={**_pause_document(state), "reason": reason},
        origin=origin,
    )
    return state


def _pause_document(state: CheckStateRecord) -> dict[str, Any]:
    return {"paused": state.paused, "paused_by": state.paused_by, "paused_at": state.paused_at}


async def approve_baseline(
    session: AsyncSession,
    *,
    check_id: str,
    actor: Actor,
    at: datetime,
    origin: RequestOrigin | None = None,
) -> BaselineRecord:
    """Approve the page as the content check last saw it."""
    check = await get_check(session, check_id=check_id, active=True)
    if check.type != "content":
        raise ValidationFailed(_("Only content checks have a baseline."))
    state = await session.get(CheckStateRecord, check_id)
    snapshot = state.snapshot if state is not None else None
    if not isinstance(snapshot, dict) or not isinstance(snapshot.get("text"), str):
        raise ConflictError(
            _("The check has no page snapshot yet: wait for it to run, or run it now.")
        )
    previous = await session.scalar(
        select(BaselineRecord)
        .where(BaselineRecord.check_id == check_id, BaselineRecord.retired_at.is_(None))
        .order_by(BaselineRecord.id.desc())
        .limit(1)
    )
    await session.execute(
        update(BaselineRecord)
        .where(BaselineRecord.check_id == check_id, BaselineRecord.retired_at.is_(None))
        .values(retired_at=at),
        execution_options={"synchronize_session": False},
    )
    baseline = BaselineRecord(
        check_id=check_id,
        approved_at=at,
        approved_by=actor.name,
        text=snapshot["text"],
        script_origins=_origins(snapshot, "script_origins"),
        iframe_origins=_origins(snapshot, "iframe_origins"),
        link_origins=_origins(snapshot, "link_origins"),
    )
    session.add(baseline)
    await session.flush()
    await record_audit(
        session,
        actor=actor,
        action="probes.baseline.approve",
        target_type="check",
        target_id=check_id,
        at=at,
        before=_baseline_document(previous) if previous is not None else None,
        after={**_baseline_document(baseline), "snapshot_at": state.snapshot_at if state else None},
        origin=origin,
    )
    return baseline


def _origins(snapshot: dict[str, Any], key: str) -> list[str]:
    values = snapshot.get(key) or []
    if not isinstance(values, list):
        return []
    return sorted({str(value) for value in values})[:MAX_SNAPSHOT_ORIGINS]


def _baseline_document(baseline: BaselineRecord) -> dict[str, Any]:
    return {
        "id": baseline.id,
        "approved_at": baseline.approved_at,
        "approved_by": baseline.approved_by,
        "text_sha256": hashlib.sha256(baseline.text.encode("utf-8")).hexdigest(),
        "text_chars": len(baseline.text),
        "script_origins": baseline.script_origins,
        "iframe_origins": baseline.iframe_origins,
        "link_origins": baseline.link_origins,
    }


async def add_window(
    session: AsyncSession,
    *,
    window: MaintenanceWindow,
    actor: Actor,
    at: datetime,
    origin: RequestOrigin | None = None,
) -> MaintenanceRecord:
    """Store a window given at run time; its services and checks must exist."""
    await _check_references(session, window)
    if window.end is not None and window.end <= at:
        raise ValidationFailed(_("end: the window would already be over."))
    record = MaintenanceRecord(
        id=f"{API_SOURCE}:{secrets.token_hex(6)}",
        source=API_SOURCE,
        services=list(window.services),
        checks=list(window.checks),
        starts_at=window.start,
        ends_at=window.end,
        recurrence=window.recurrence.model_dump(mode="json") if window.recurrence else None,
        reason=window.reason,
        created_by=actor.name,
        created_at=at,
        updated_at=at,
    )
    session.add(record)
    await session.flush()
    await record_audit(
        session,
        actor=actor,
        action="probes.maintenance.add",
        target_type="maintenance",
        target_id=record.id,
        at=at,
        after=window_document(record),
        origin=origin,
    )
    return record


async def _check_references(session: AsyncSession, window: MaintenanceWindow) -> None:
    services = set(
        (
            await session.scalars(
                select(ServiceRecord.id).where(
                    ServiceRecord.id.in_(window.services), ServiceRecord.retired_at.is_(None)
                )
            )
        ).all()
    )
    for index, service_id in enumerate(window.services):
        if service_id not in services:
            raise ValidationFailed(
                _("services[%(index)d]: no service has the id %(id)s.")
                % {"index": index, "id": service_id}
            )
    checks = set(
        (
            await session.scalars(
                select(CheckRecord.id).where(
                    CheckRecord.id.in_(window.checks), CheckRecord.retired_at.is_(None)
                )
            )
        ).all()
    )
    for index, check_id in enumerate(window.checks):
        if check_id not in checks:
            raise ValidationFailed(
                _("checks[%(index)d]: no check has the id %(id)s.")
                % {"index": index, "id": check_id}
            )


async def end_window(
    session: AsyncSession,
    *,
    window_id: str,
    actor: Actor,
    at: datetime,
    origin: RequestOrigin | None = None,
) -> MaintenanceRecord:
    """End a window added through the API now (it is kept, retired, for the record)."""
    window = await get_window(session, window_id=window_id)
    if window.source != API_SOURCE:
        raise ConflictError(
            _("This window is defined in the configuration: change the configuration instead.")
        )
    if window.retired_at is not None:
        raise ConflictError(_("This maintenance window has already ended."))
    before = window_document(window)
    window.retired_at = at
    window.updated_at = at
    if window.ends_at is not None and window.ends_at > at and window.starts_at is not None:
        window.ends_at = max(window.starts_at, at)
    await session.flush()
    await record_audit(
        session,
        actor=actor,
        action="probes.maintenance.end",
        target_type="maintenance",
        target_id=window_id,
        at=at,
        before=before,
        after=window_document(window),
        origin=origin,
    )
    return window


def window_document(window: MaintenanceRecord) -> dict[str, Any]:
    return {
        "id": window.id,
        "services": window.services,
        "checks": window.checks,
        "start": window.starts_at,
        "end": window.ends_at,
        "recurrence": window.recurrence,
        "reason": window.reason,
        "retired_at": window.retired_at,
    }
