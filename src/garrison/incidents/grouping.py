"""Grouping: which open incident a new alert belongs to, and when a source storms.

An alert has grouping keys, one per configured rule that applies to it:

- ``root:<service>``: the service whose outage this is accounted to (an UNREACHABLE
  service's ``caused_by``; a failing service is its own root);
- ``redundancy:<group>``: the redundancy group of its service (primary and backup);
- ``service:<id>`` and ``site:<id>``;
- ``group:<source>:<value>``: Alertmanager's group, PagerDuty's ``payload.group``, the
  webhook's ``group``, a detection rule. Only this one is bounded by the window:
  it matches an incident whose last alert with that key is recent enough.

A new alert joins the oldest open incident (of the same drill-ness) that shares a key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.config.incidents import GroupingRule, GroupingSettings
from garrison.event.models import ServiceRecord
from garrison.incidents.models import GROUP_KEY_LENGTH, Incident, IncidentGroupKey, SignalRecord
from garrison.incidents.signals import IncomingSignal, SignalAction
from garrison.incidents.vocabulary import OPEN_STATUSES

STORM_WINDOW = timedelta(seconds=60)
GROUP_PREFIX = "group:"
STORM_PREFIX = "storm:"


@dataclass(frozen=True, slots=True)
class ServiceFacts:
    id: str
    name: str
    criticality: str
    unit_id: str
    site_id: str | None
    redundancy_group: str | None


async def service_facts(session: AsyncSession, *, service_id: str) -> ServiceFacts | None:
    record = await session.get(ServiceRecord, service_id)
    if record is None or record.retired_at is not None:
        return None
    redundancy = (record.data or {}).get("redundancy") or {}
    group = redundancy.get("group") if isinstance(redundancy, dict) else None
    return ServiceFacts(
        id=record.id,
        name=record.name,
        criticality=record.criticality,
        unit_id=record.unit_id,
        site_id=record.site_id,
        redundancy_group=str(group) if group else None,
    )


def _key(prefix: str, value: str) -> str:
    key = f"{prefix}{value}"
    if len(key) <= GROUP_KEY_LENGTH:
        return key
    return f"{prefix}sha256:{hashlib.sha256(value.encode('utf-8')).hexdigest()}"


def group_keys_for(
    signal: IncomingSignal, *, facts: ServiceFacts | None, settings: GroupingSettings
) -> tuple[str, ...]:
    rules = set(settings.rules)
    service_id = signal.service_id
    site_id = signal.site_id or (facts.site_id if facts else None)
    keys: list[str] = []
    if GroupingRule.DEPENDENCY_ROOT in rules and (signal.dependency_root or service_id):
        keys.append(_key("root:", signal.dependency_root or service_id or ""))
    if GroupingRule.REDUNDANCY_GROUP in rules and facts and facts.redundancy_group:
        keys.append(_key("redundancy:", facts.redundancy_group))
    if GroupingRule.SERVICE in rules and service_id:
        keys.append(_key("service:", service_id))
    if GroupingRule.SITE in rules and site_id:
        keys.append(_key("site:", site_id))
    if GroupingRule.GROUP_LABEL in rules and signal.group:
        keys.append(_key(f"{GROUP_PREFIX}{signal.source}:", signal.group))
    return tuple(dict.fromkeys(keys))


def declared_keys(*, services: Iterable[str], sites: Iterable[str]) -> tuple[str, ...]:
    """Keys of an incident declared by hand, so that alerts about its services join it."""
    keys = [_key(prefix, service) for service in services for prefix in ("root:", "service:")]
    keys += [_key("site:", site) for site in sites]
    return tuple(dict.fromkeys(keys))


def storm_key(source: str) -> str:
    return _key(STORM_PREFIX, source)


async def find_open_incident(
    session: AsyncSession,
    *,
    keys: Iterable[str],
    is_drill: bool,
    now: datetime,
    window_seconds: float,
) -> Incident | None:
    wanted = list(keys)
    if not wanted:
        return None
    recent = now - timedelta(seconds=window_seconds)
    query = (
        select(Incident)
        .join(IncidentGroupKey, IncidentGroupKey.incident_id == Incident.id)
        .where(
            IncidentGroupKey.key.in_(wanted),
            or_(
                ~IncidentGroupKey.key.startswith(GROUP_PREFIX),
                IncidentGroupKey.last_seen_at >= recent,
            ),
            Incident.status.in_([status.value for status in OPEN_STATUSES]),
            Incident.is_drill.is_(is_drill),
            Incident.merged_into_id.is_(None),
        )
        .order_by(Incident.opened_at, Incident.id)
        .limit(1)
        .with_for_update(of=Incident)
        .execution_options(populate_existing=True)
    )
    found: Incident | None = await session.scalar(query)
    return found


async def lock_incident(session: AsyncSession, *, incident_id: int) -> Incident | None:
    """The incident, freshly read and locked for this transaction (PostgreSQL)."""
    query = (
        select(Incident)
        .where(Incident.id == incident_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    found: Incident | None = await session.scalar(query)
    return found


async def recent_triggers(session: AsyncSession, *, source: str, now: datetime) -> int:
    """Trigger signals of ``source`` stored in the last minute."""
    count = await session.scalar(
        select(func.count(SignalRecord.id)).where(
            SignalRecord.source == source,
            SignalRecord.action == SignalAction.TRIGGER.value,
            SignalRecord.received_at > now - STORM_WINDOW,
        )
    )
    return int(count or 0)
