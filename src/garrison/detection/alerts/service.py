"""Findings into alerts (deduplicated by fingerprint within a window), and reading them back.

Every function takes the caller's session, flushes and never commits. A new alert is
audited as ``detection.alert_raised``; repeats of an alert within one call are counted
on it and audited once as ``detection.alert_repeated`` with the number added, so that a
flood does not write one audit entry per event.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.audit.actor import Actor
from garrison.audit.service import record_audit
from garrison.detection.alerts.models import DetectionAlert, DetectionKnownAddress
from garrison.detection.detectors.admin_login import LearnedAddress
from garrison.detection.findings import Finding
from garrison.detection.records import LogEvent
from garrison.errors import NotFoundError
from garrison.i18n import gettext as _

MAX_EVENT_FIELDS = 200
MAX_TEXT_CHARS = 2000
MAX_MATCHED_FIELDS = 50
MAX_LIST_LIMIT = 500
MAX_KNOWN_ADDRESSES = 100_000


@dataclass(frozen=True, slots=True)
class AlertFilters:
    level: str | None = None
    rule_id: str | None = None
    category: str | None = None
    source: str | None = None
    source_address: str | None = None
    since: datetime | None = None
    until: datetime | None = None


async def record_findings(
    session: AsyncSession,
    *,
    findings: Sequence[Finding],
    now: datetime,
    dedup_window: timedelta,
    actor: Actor,
) -> list[DetectionAlert]:
    """Store findings as alerts; returns the alerts that are new (to announce on the bus)."""
    created: list[DetectionAlert] = []
    touched: dict[str, DetectionAlert] = {}
    repeats: dict[str, int] = {}
    for finding in findings:
        fingerprint = finding.fingerprint
        alert = touched.get(fingerprint)
        if alert is None:
            alert = await _recent_alert(session, fingerprint, since=now - dedup_window)
        if alert is None:
            alert = _new_alert(finding, fingerprint=fingerprint, now=now)
            session.add(alert)
            await session.flush()
            await record_audit(
                session,
                actor=actor,
                action="detection.alert_raised",
                target_type="detection_alert",
                target_id=alert.alert_id,
                at=now,
                after=_audit_view(alert),
            )
            created.append(alert)
        else:
            alert.count += 1
            alert.last_seen_at = now
            repeats[alert.alert_id] = repeats.get(alert.alert_id, 0) + 1
        touched[fingerprint] = alert
    await session.flush()
    for alert in touched.values():
        added = repeats.get(alert.alert_id)
        if added:
            await record_audit(
                session,
                actor=actor,
                action="detection.alert_repeated",
                target_type="detection_alert",
                target_id=alert.alert_id,
                at=now,
                before={"count": alert.count - added},
                after={"count": alert.count},
            )
    return created


async def _recent_alert(
    session: AsyncSession, fingerprint: str, *, since: datetime
) -> DetectionAlert | None:
    query = (
        select(DetectionAlert)
        .where(DetectionAlert.fingerprint == fingerprint, DetectionAlert.last_seen_at >= since)
        .order_by(DetectionAlert.id.desc())
        .limit(1)
    )
    return (await session.scalars(query)).first()


def _new_alert(finding: Finding, *, fingerprint: str, now: datetime) -> DetectionAlert:
    rule = finding.rule
    last = finding.events[-1] if finding.events else None
    return DetectionAlert(
        alert_id=str(uuid.uuid4()),
        fingerprint=fingerprint,
        rule_id=rule.id[:200],
        rule_title=rule.title[:500],
        rule_level=rule.level[:16],
        rule_author=rule.author[:500],
        rule_license=rule.license[:200],
        kind=finding.kind.value,
        category=rule.category[:32],
        source=(last.source if last else "")[:200],
        summary=(finding.summary or rule.title)[:MAX_TEXT_CHARS],
        source_address=finding.source_address[:64] if finding.source_address else None,
        host=(last.host[:255] if last and last.host else None),
        matched_fields=_bounded_mapping(finding.matched_fields, MAX_MATCHED_FIELDS),
        events=[event_document(event) for event in finding.events],
        occurred_at=finding.at,
        first_seen_at=now,
        last_seen_at=now,
        count=1,
        is_drill=False,
    )


def event_document(event: LogEvent) -> dict[str, Any]:
    """An event as alerts keep it: normalised fields, bounded, with where it came from."""
    source = event.logsource
    return {
        "source": event.source,
        "received_at": event.received_at.isoformat(),
        "timestamp": event.timestamp.isoformat() if event.timestamp else None,
        "host": event.host,
        "kind": event.kind,
        "logsource": {
            "product": source.product,
            "service": source.service,
            "category": source.category,
        },
        "fields": _bounded_mapping(event.fields, MAX_EVENT_FIELDS),
    }


def _bounded_mapping(values: Mapping[str, object], limit: int) -> dict[str, Any]:
    return {str(key)[:200]: _bounded_value(value) for key, value in list(values.items())[:limit]}


def _bounded_value(value: object) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return value if len(value) <= MAX_TEXT_CHARS else value[:MAX_TEXT_CHARS] + "…"
    if isinstance(value, list | tuple):
        return [_bounded_value(item) for item in value[:50]]
    if isinstance(value, Mapping):
        return _bounded_mapping(value, 50)
    if isinstance(value, datetime):
        return value.isoformat()
    return _bounded_value(str(value))


def _audit_view(alert: DetectionAlert) -> dict[str, Any]:
    return {
        "rule_id": alert.rule_id,
        "rule_title": alert.rule_title,
        "rule_level": alert.rule_level,
        "rule_author": alert.rule_author,
        "fingerprint": alert.fingerprint,
        "source_address": alert.source_address,
    }


async def list_alerts(
    session: AsyncSession,
    *,
    filters: AlertFilters,
    limit: int = 100,
    before_id: int | None = None,
) -> list[DetectionAlert]:
    """Newest first; ``before_id`` pages to older ones."""
    query = (
        select(DetectionAlert)
        .order_by(DetectionAlert.id.desc())
        .limit(max(1, min(limit, MAX_LIST_LIMIT)))
    )
    if before_id is not None:
        query = query.where(DetectionAlert.id < before_id)
    conditions = {
        DetectionAlert.rule_level: filters.level,
        DetectionAlert.rule_id: filters.rule_id,
        DetectionAlert.category: filters.category,
        DetectionAlert.source: filters.source,
        DetectionAlert.source_address: filters.source_address,
    }
    for column, wanted in conditions.items():
        if wanted is not None:
            query = query.where(column == wanted)
    if filters.since is not None:
        query = query.where(DetectionAlert.last_seen_at >= filters.since)
    if filters.until is not None:
        query = query.where(DetectionAlert.first_seen_at < filters.until)
    return list((await session.scalars(query)).all())


async def get_alert(session: AsyncSession, *, alert_id: str) -> DetectionAlert:
    alert = (
        await session.scalars(select(DetectionAlert).where(DetectionAlert.alert_id == alert_id))
    ).first()
    if alert is None:
        raise NotFoundError(_("No detection alert has the id %(id)s.") % {"id": alert_id})
    return alert


async def known_addresses(session: AsyncSession) -> list[tuple[str, str, datetime]]:
    """The most recently used (account, address) pairs, for the admin-login detector."""
    query = (
        select(DetectionKnownAddress)
        .order_by(DetectionKnownAddress.last_seen_at.desc())
        .limit(MAX_KNOWN_ADDRESSES)
    )
    rows = (await session.scalars(query)).all()
    return [(row.account, row.address, row.last_seen_at) for row in reversed(rows)]


async def remember_addresses(
    session: AsyncSession, *, learned: Iterable[LearnedAddress], actor: Actor, now: datetime
) -> int:
    """Store newly seen administrator addresses (audited); known ones only get a new time."""
    stored = 0
    for item in learned:
        query = select(DetectionKnownAddress).where(
            DetectionKnownAddress.account == item.account,
            DetectionKnownAddress.address == item.address,
        )
        row = (await session.scalars(query)).first()
        if row is not None:
            row.last_seen_at = max(row.last_seen_at, item.at)
            continue
        row = DetectionKnownAddress(
            account=item.account[:200],
            address=item.address[:64],
            first_seen_at=item.at,
            last_seen_at=item.at,
        )
        session.add(row)
        await session.flush()
        await record_audit(
            session,
            actor=actor,
            action="detection.admin_address_learned",
            target_type="detection_known_address",
            target_id=f"{row.account}@{row.address}",
            at=now,
            after={"account": row.account, "address": row.address},
        )
        stored += 1
    await session.flush()
    return stored
