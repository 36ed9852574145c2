"""Findings into alerts (deduplicated by fingerprint within a window), and reading them back.

Every function takes the caller's session, flushes and never commits. A new alert is
audited as ``detection.alert_raised``; repeats of an alert within one call are counted
on it and audited once as ``detection.alert_repeated`` with the number added, so that a
flood does not write one audit entry per event.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, insert, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.audit.actor import Actor
from garrison.audit.service import AuditDraft, record_audits
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
# Values in one ``IN (...)`` of a batch's lookup (well under every backend's limit).
QUERY_CHUNK = 500


@dataclass(frozen=True, slots=True)
class DrillMark:
    """The drill run and inject (its position in the plan) an alert is injected for."""

    run_id: int
    inject: int

    def fingerprint(self, finding: Finding) -> str:
        """A drill's own fingerprint: its alerts never deduplicate into real ones."""
        key = f"drill:{self.run_id}:{self.inject}:{finding.fingerprint}"
        return hashlib.sha256(key.encode()).hexdigest()


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
    drill: DrillMark | None = None,
) -> list[DetectionAlert]:
    """Store findings as alerts; returns the alerts that are new (to announce on the bus).

    ``drill``: the findings come from a drill inject; their alerts are marked as the
    drill's (``is_drill``, run and inject) and deduplicate only among themselves."""
    fingerprints = [
        finding.fingerprint if drill is None else drill.fingerprint(finding) for finding in findings
    ]
    # One query for the whole batch (in chunks), one insert, one audit append: a flood of
    # findings costs a few statements, not a few per finding.
    recent = await _recent_alerts(session, fingerprints, since=now - dedup_window)
    created: list[DetectionAlert] = []
    touched: dict[str, DetectionAlert] = {}
    repeats: dict[str, int] = {}
    for finding, fingerprint in zip(findings, fingerprints, strict=True):
        alert = touched.get(fingerprint) or recent.get(fingerprint)
        touched[fingerprint] = alert or _new_alert(
            finding, fingerprint=fingerprint, now=now, drill=drill
        )
        if alert is None:
            created.append(touched[fingerprint])
        else:
            alert.count += 1
            alert.last_seen_at = now
            repeats[alert.alert_id] = repeats.get(alert.alert_id, 0) + 1
    session.add_all(created)
    await session.flush()
    drafts = [
        AuditDraft(
            action="detection.alert_raised",
            target_type="detection_alert",
            target_id=alert.alert_id,
            after=_audit_view(alert),
        )
        for alert in created
    ]
    for alert in touched.values():
        added = repeats.get(alert.alert_id)
        if added:
            drafts.append(
                AuditDraft(
                    action="detection.alert_repeated",
                    target_type="detection_alert",
                    target_id=alert.alert_id,
                    before={"count": alert.count - added},
                    after={"count": alert.count},
                )
            )
    await record_audits(session, actor=actor, at=now, drafts=drafts)
    return created


async def _recent_alerts(
    session: AsyncSession, fingerprints: Sequence[str], *, since: datetime
) -> dict[str, DetectionAlert]:
    """The newest alert of each fingerprint last seen since ``since``, by fingerprint."""
    wanted = list(dict.fromkeys(fingerprints))
    found: dict[str, DetectionAlert] = {}
    for start in range(0, len(wanted), QUERY_CHUNK):
        query = (
            select(DetectionAlert)
            .where(
                DetectionAlert.fingerprint.in_(wanted[start : start + QUERY_CHUNK]),
                DetectionAlert.last_seen_at >= since,
            )
            .order_by(DetectionAlert.id.desc())
        )
        for alert in (await session.scalars(query)).all():
            found.setdefault(alert.fingerprint, alert)
    return found


def _new_alert(
    finding: Finding, *, fingerprint: str, now: datetime, drill: DrillMark | None
) -> DetectionAlert:
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
        is_drill=drill is not None,
        drill_run_id=None if drill is None else drill.run_id,
        drill_inject=None if drill is None else drill.inject,
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
        "is_drill": alert.is_drill,
        "drill_run_id": alert.drill_run_id,
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
    """Store newly seen administrator addresses (audited); known ones only get a new time.

    One lookup for the batch (in chunks), one insert and one audit append for the new ones."""
    seen: dict[tuple[str, str], tuple[datetime, datetime]] = {}  # first and last time
    for item in learned:
        key = (item.account[:200], item.address[:64])
        first, last = seen.get(key, (item.at, item.at))
        seen[key] = (min(first, item.at), max(last, item.at))
    keys = list(seen)
    known: dict[tuple[str, str], DetectionKnownAddress] = {}
    for start in range(0, len(keys), QUERY_CHUNK):
        pairs = keys[start : start + QUERY_CHUNK]
        query = select(DetectionKnownAddress).where(
            tuple_(DetectionKnownAddress.account, DetectionKnownAddress.address).in_(pairs)
        )
        for row in (await session.scalars(query)).all():
            known[(row.account, row.address)] = row
    added: list[dict[str, Any]] = []
    for key, (first, last) in seen.items():
        existing = known.get(key)
        if existing is not None:
            existing.last_seen_at = max(existing.last_seen_at, last)
            continue
        account, address = key
        added.append(
            {"account": account, "address": address, "first_seen_at": first, "last_seen_at": last}
        )
    await session.flush()
    if added:
        # Core insert: one executemany, no ids read back (nothing here needs them).
        table = DetectionKnownAddress.__table__
        assert isinstance(table, Table)
        await session.execute(insert(table), added)
    drafts = [
        AuditDraft(
            action="detection.admin_address_learned",
            target_type="detection_known_address",
            target_id=f"{row['account']}@{row['address']}",
            after={"account": row["account"], "address": row["address"]},
        )
        for row in added
    ]
    await record_audits(session, actor=actor, at=now, drafts=drafts)
    return len(added)
