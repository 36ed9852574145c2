"""The incidents configuration as the running system reads it, and the severity mapping.

The ``incidents`` section (without its integrations, kept in their own table) is
mirrored into the one-row ``incident_policy`` table when the incident worker
starts, so that every process reads the same rules. Ingestion claims that row
first (``UPDATE ... RETURNING``): this serialises ingestion, which keeps
deduplication and grouping exact under concurrent signals.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.audit.actor import Actor
from garrison.audit.service import record_audit
from garrison.config.incidents import IncidentsConfig
from garrison.incidents.models import POLICY_ID, IncidentPolicyRecord
from garrison.incidents.vocabulary import Severity

logger = logging.getLogger(__name__)

_CREATE_ROW = text(
    "INSERT INTO incident_policy (id, data, digest, signal_count) "
    "VALUES (:id, '{}', '', 0) ON CONFLICT (id) DO NOTHING"
)


def policy_document(config: IncidentsConfig) -> dict[str, Any]:
    document: dict[str, Any] = config.model_dump(mode="json", exclude={"integrations"})
    return document


def policy_from(data: Mapping[str, Any]) -> IncidentsConfig:
    return IncidentsConfig.model_validate(dict(data))


# Parsed policies by digest: validating the document costs more than the rest of a
# small ingestion, and the row changes only when the configuration does. The digest
# is the version: a row written without one is parsed every time.
_PARSED: dict[str, IncidentsConfig] = {}
_PARSED_MAX = 8


def _cached_policy(data: Mapping[str, Any] | None, digest: str | None) -> IncidentsConfig:
    if not digest:
        return policy_from(data or {})
    found = _PARSED.get(digest)
    if found is None:
        found = policy_from(data or {})
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.clear()
        _PARSED[digest] = found
    return found


def _digest(document: Mapping[str, Any]) -> str:
    encoded = json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(encoded).hexdigest()


async def load_policy(session: AsyncSession) -> IncidentsConfig:
    row = (
        await session.execute(
            select(IncidentPolicyRecord.data, IncidentPolicyRecord.digest).where(
                IncidentPolicyRecord.id == POLICY_ID
            )
        )
    ).one_or_none()
    if row is None:
        return policy_from({})
    return _cached_policy(row.data, row.digest)


async def claim_ingestion(session: AsyncSession, *, signals: int) -> IncidentsConfig:
    """Take the ingestion lock for this transaction and return the policy."""
    claim = (
        update(IncidentPolicyRecord)
        .where(IncidentPolicyRecord.id == POLICY_ID)
        .values(signal_count=IncidentPolicyRecord.signal_count + signals)
        .returning(IncidentPolicyRecord.data, IncidentPolicyRecord.digest)
    )
    options = {"synchronize_session": False}
    row = (await session.execute(claim, execution_options=options)).one_or_none()
    if row is None:
        # The migration creates the row; this covers a schema built another way.
        await session.execute(_CREATE_ROW, {"id": POLICY_ID})
        row = (await session.execute(claim, execution_options=options)).one()
    return _cached_policy(row.data, row.digest)


async def sync_policy(
    session: AsyncSession, *, config: IncidentsConfig, actor: Actor, now: datetime
) -> bool:
    """Mirror the configuration's rules; True when they changed (an audit entry is written)."""
    document = policy_document(config)
    digest = _digest(document)
    record = await session.get(IncidentPolicyRecord, POLICY_ID)
    if record is None:
        await session.execute(_CREATE_ROW, {"id": POLICY_ID})
        record = await session.get(IncidentPolicyRecord, POLICY_ID)
        assert record is not None
    if record.digest == digest:
        return False
    before = dict(record.data) if record.data else None
    record.data = document
    record.digest = digest
    record.updated_at = now
    await session.flush()
    await record_audit(
        session,
        actor=actor,
        action="incident_policy.updated",
        target_type="incident_policy",
        target_id=str(POLICY_ID),
        at=now,
        before=before,
        after=document,
    )
    logger.info("incident rules updated from the configuration")
    return True


def service_severity(policy: IncidentsConfig, *, criticality: str, state: str) -> Severity:
    """Criticality and state: DOWN and DEGRADED have a mapping, other states page as DOWN."""
    services = policy.severity.services
    by_criticality = {
        "critical": services.critical,
        "high": services.high,
        "normal": services.normal,
    }.get(criticality, services.normal)
    return by_criticality.degraded if state == "degraded" else by_criticality.down


def detection_severity(policy: IncidentsConfig, *, level: str) -> Severity:
    levels = policy.severity.detection.model_dump()
    found = levels.get(level.lower())
    return Severity(found) if found is not None else Severity.SEV3


def pagerduty_severity(policy: IncidentsConfig, *, severity: str) -> Severity:
    found = policy.severity.pagerduty.model_dump().get(severity)
    return Severity(found) if found is not None else Severity.SEV3


def alertmanager_severity(
    policy: IncidentsConfig, *, labels: Mapping[str, str], default: Severity
) -> Severity:
    value = labels.get(policy.severity.alertmanager_label)
    if value is None:
        return default
    return policy.severity.alertmanager.get(value.strip().lower(), default)
