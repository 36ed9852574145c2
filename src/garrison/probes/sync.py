"""Mirror the configured checks and maintenance windows into the database.

Like the event mirror (:mod:`garrison.event.sync`): idempotent, items removed from
the configuration are retired, never deleted, and every change is an audit entry
with before and after. A heartbeat token from the configuration is stored as its
hash only, and left out of the mirrored data.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.audit.actor import Actor
from garrison.audit.service import record_audit
from garrison.config import EventConfig, LoadedConfig
from garrison.config.checks import Check, HeartbeatCheck, MaintenanceWindow
from garrison.event.sync import SyncReport
from garrison.probes.heartbeat import hash_token
from garrison.probes.models import CheckRecord, HeartbeatRecord, MaintenanceRecord

logger = logging.getLogger(__name__)

CONFIG_SOURCE = "config"


async def sync_probes(
    session: AsyncSession, *, loaded: LoadedConfig, actor: Actor, at: datetime
) -> SyncReport:
    """Bring the checks and configured windows in line with ``loaded``; flushes only."""
    report = SyncReport()
    await _sync_checks(session, config=loaded.config, report=report, actor=actor, at=at)
    await _sync_windows(session, config=loaded.config, report=report, actor=actor, at=at)
    await _sync_heartbeat_tokens(session, config=loaded.config, at=at)
    await session.flush()
    if report.changed:
        logger.info(
            "probe configuration synced: %d added, %d updated, %d retired",
            len(report.added),
            len(report.updated),
            len(report.retired),
        )
    return report


def check_data(check: Check) -> dict[str, Any]:
    return check.model_dump(mode="json", exclude={"token"} if check.type == "heartbeat" else None)


async def _sync_checks(
    session: AsyncSession, *, config: EventConfig, report: SyncReport, actor: Actor, at: datetime
) -> None:
    existing = {row.id: row for row in (await session.scalars(select(CheckRecord))).all()}
    wanted = {check.id: check for check in config.checks}
    for check_id, check in wanted.items():
        data = check_data(check)
        values = {
            "name": check.name or check_id,
            "data": data,
            "type": check.type,
            "service_id": check.service,
            "enabled": check.enabled,
        }
        row = existing.get(check_id)
        if row is None:
            session.add(CheckRecord(id=check_id, created_at=at, updated_at=at, **values))
            await _change(session, report, "check", check_id, "add", actor, at, None, data)
            continue
        if row.retired_at is None and all(getattr(row, k) == v for k, v in values.items()):
            continue
        verb = "update" if row.retired_at is None else "restore"
        before = row.data
        for key, value in values.items():
            setattr(row, key, value)
        row.retired_at = None
        row.updated_at = at
        await _change(session, report, "check", check_id, verb, actor, at, before, data)
    for check_id, row in existing.items():
        if check_id not in wanted and row.retired_at is None:
            row.retired_at = at
            row.updated_at = at
            await _change(session, report, "check", check_id, "retire", actor, at, row.data, None)


def _window_values(window: MaintenanceWindow) -> dict[str, Any]:
    return {
        "services": list(window.services),
        "checks": list(window.checks),
        "starts_at": window.start,
        "ends_at": window.end,
        "recurrence": window.recurrence.model_dump(mode="json") if window.recurrence else None,
        "reason": window.reason,
    }


async def _sync_windows(
    session: AsyncSession, *, config: EventConfig, report: SyncReport, actor: Actor, at: datetime
) -> None:
    query = select(MaintenanceRecord).where(MaintenanceRecord.source == CONFIG_SOURCE)
    existing = {row.id: row for row in (await session.scalars(query)).all()}
    wanted = {window.id: window for window in config.maintenance}
    for window_id, window in wanted.items():
        values = _window_values(window)
        document = window.model_dump(mode="json")
        row = existing.get(window_id)
        if row is None:
            # API windows are named "api:…", which no configured id can be: no clash.
            session.add(
                MaintenanceRecord(
                    id=window_id,
                    source=CONFIG_SOURCE,
                    created_by=actor.name,
                    created_at=at,
                    updated_at=at,
                    **values,
                )
            )
            await _change(
                session, report, "maintenance", window_id, "add", actor, at, None, document
            )
            continue
        if row.retired_at is None and all(getattr(row, k) == v for k, v in values.items()):
            continue
        verb = "update" if row.retired_at is None else "restore"
        before = _document(row)
        for key, value in values.items():
            setattr(row, key, value)
        row.retired_at = None
        row.updated_at = at
        await _change(session, report, "maintenance", window_id, verb, actor, at, before, document)
    for window_id, row in existing.items():
        if window_id not in wanted and row.retired_at is None:
            row.retired_at = at
            row.updated_at = at
            before = _document(row)
            await _change(
                session, report, "maintenance", window_id, "retire", actor, at, before, None
            )


def _document(row: MaintenanceRecord) -> dict[str, Any]:
    return {
        "id": row.id,
        "services": row.services,
        "checks": row.checks,
        "start": row.starts_at.isoformat() if row.starts_at else None,
        "end": row.ends_at.isoformat() if row.ends_at else None,
        "recurrence": row.recurrence,
        "reason": row.reason,
    }


async def _sync_heartbeat_tokens(
    session: AsyncSession, *, config: EventConfig, at: datetime
) -> None:
    for check in config.checks:
        if not isinstance(check, HeartbeatCheck):
            continue
        record = await session.get(HeartbeatRecord, check.id)
        if record is None:
            record = HeartbeatRecord(check_id=check.id)
            session.add(record)
        if check.token is not None:
            digest = hash_token(check.token)
            if record.token_hash != digest:
                record.token_hash = digest
                record.token_source = CONFIG_SOURCE
                record.token_set_at = at
        elif record.token_source == CONFIG_SOURCE:
            # The token was removed from the configuration: it stops working.
            record.token_hash = None
            record.token_source = None
            record.token_set_at = at


async def _change(
    session: AsyncSession,
    report: SyncReport,
    label: str,
    item_id: str,
    verb: str,
    actor: Actor,
    at: datetime,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
) -> None:
    bucket = {"add": report.added, "retire": report.retired}.get(verb, report.updated)
    bucket.append(f"{label}:{item_id}")
    await record_audit(
        session,
        actor=actor,
        action=f"config.{label}.{verb}",
        target_type=label,
        target_id=item_id,
        at=at,
        before=before,
        after=after,
    )
