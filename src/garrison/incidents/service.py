"""Incidents: opening one, reading them under need-to-know, their lists and timings.

State changes live in ``transitions.py``, edits in ``changes.py``, signal ingestion
in ``ingest.py``. Every function flushes and never commits.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from garrison.audit.actor import Actor
from garrison.audit.service import record_audit
from garrison.auth.models import User
from garrison.auth.principal import RequestOrigin
from garrison.errors import ConflictError, NotFoundError, ValidationFailed
from garrison.i18n import gettext as _
from garrison.incidents.access import ACCESS_UNIT, ACCESS_USER, Viewer, can_see, visible_to
from garrison.incidents.events import IncidentOpened
from garrison.incidents.models import (
    TITLE_LENGTH,
    Alert,
    Incident,
    IncidentAccess,
    IncidentGroupKey,
)
from garrison.incidents.outbox import queue_event
from garrison.incidents.signals import clip
from garrison.incidents.timeline import TimelineKind, timeline_entry
from garrison.incidents.vocabulary import (
    Category,
    Classification,
    IncidentStatus,
    Severity,
)

DRILL_PREFIX = "[DRILL] "
MAX_LIST_LIMIT = 500


@dataclass(frozen=True, slots=True)
class AccessList:
    users: tuple[str, ...] = ()
    units: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class NewIncident:
    title: str
    severity: Severity
    category: Category
    classification: Classification
    is_drill: bool = False
    is_storm: bool = False
    services: tuple[str, ...] = ()
    sites: tuple[str, ...] = ()
    access: AccessList = AccessList()
    group_keys: tuple[str, ...] = ()
    description: str | None = None


@dataclass(frozen=True, slots=True)
class IncidentFilter:
    statuses: tuple[IncidentStatus, ...] = ()
    severities: tuple[Severity, ...] = ()
    category: Category | None = None
    is_drill: bool | None = None
    opened_after: datetime | None = None
    opened_before: datetime | None = None


def drill_title(title: str, *, is_drill: bool) -> str:
    title = " ".join(title.split())
    if is_drill and not title.startswith(DRILL_PREFIX):
        title = DRILL_PREFIX + title
    return clip(title, TITLE_LENGTH)


def incident_snapshot(incident: Incident) -> dict[str, Any]:
    """What the audit log keeps of an incident."""
    return {
        "title": incident.title,
        "severity": incident.severity,
        "category": incident.category,
        "status": incident.status,
        "classification": incident.classification,
        "is_drill": incident.is_drill,
        "commander_id": incident.commander_id,
        "assignee_id": incident.assignee_id,
        "services": list(incident.services),
        "sites": list(incident.sites),
        "resolution_summary": incident.resolution_summary,
        "root_cause": incident.root_cause,
        "merged_into_id": incident.merged_into_id,
    }


async def flush_incident(session: AsyncSession) -> None:
    """Flush; someone else's change committed meanwhile becomes a 409, not a lost update."""
    try:
        await session.flush()
    except StaleDataError as exc:
        raise ConflictError(
            _("The incident was changed by someone else meanwhile; reload it and try again.")
        ) from exc


async def open_incident(
    session: AsyncSession,
    *,
    new: NewIncident,
    actor: Actor,
    now: datetime,
    origin: RequestOrigin | None = None,
) -> Incident:
    incident = Incident(
        title=drill_title(new.title, is_drill=new.is_drill),
        severity=new.severity.value,
        category=new.category.value,
        status=IncidentStatus.TRIGGERED.value,
        classification=new.classification.value,
        is_drill=new.is_drill,
        is_storm=new.is_storm,
        services=sorted(set(new.services)),
        sites=sorted(set(new.sites)),
        opened_at=now,
        opened_by=clip(actor.name, 200),
        reopen_count=0,
        updated_at=now,
    )
    session.add(incident)
    await session.flush()
    # A new incident has no keys, access rows or entries yet: they are added without a
    # look-up and written by the audit entry's flush, in the order added.
    _add_access(session, incident.id, new.access)
    for key in sorted(set(new.group_keys)):
        session.add(IncidentGroupKey(incident_id=incident.id, key=key, last_seen_at=now))
    opened = timeline_entry(
        incident_id=incident.id,
        kind=TimelineKind.OPENED,
        at=now,
        actor=actor,
        text=new.description,
        data={
            "title": incident.title,
            "severity": incident.severity,
            "category": incident.category,
            "classification": incident.classification,
            "is_drill": incident.is_drill,
            "is_storm": incident.is_storm,
        },
    )
    session.add(opened)
    await record_audit(
        session,
        actor=actor,
        action="incident.opened",
        target_type="incident",
        target_id=str(incident.id),
        at=now,
        after=incident_snapshot(incident),
        origin=origin,
    )
    queue_event(
        session,
        IncidentOpened(
            occurred_at=now,
            incident_id=incident.id,
            title=incident.title,
            severity=incident.severity,
            category=incident.category,
            classification=incident.classification,
            is_drill=incident.is_drill,
            is_storm=incident.is_storm,
            services=tuple(incident.services),
            sites=tuple(incident.sites),
            opened_by=actor.name,
        ),
    )
    return incident


def _add_access(session: AsyncSession, incident_id: int, access: AccessList) -> None:
    for kind, refs in ((ACCESS_USER, access.users), (ACCESS_UNIT, access.units)):
        for ref in sorted(set(refs)):
            session.add(IncidentAccess(incident_id=incident_id, kind=kind, ref=ref))


async def add_group_keys(
    session: AsyncSession, *, incident_id: int, keys: Iterable[str], now: datetime
) -> None:
    """Add grouping keys to an incident, or note that they were seen again now."""
    wanted = set(keys)
    if not wanted:
        return
    # Mostly the keys are known (an alert firing again): one statement notes them all.
    seen = await session.execute(
        update(IncidentGroupKey)
        .where(IncidentGroupKey.incident_id == incident_id, IncidentGroupKey.key.in_(wanted))
        .values(last_seen_at=now)
        .execution_options(synchronize_session="evaluate")
    )
    noted = seen.rowcount  # type: ignore[attr-defined]
    if noted == len(wanted):
        return
    known: set[str] = set()
    if noted:
        known = set(
            await session.scalars(
                select(IncidentGroupKey.key).where(
                    IncidentGroupKey.incident_id == incident_id, IncidentGroupKey.key.in_(wanted)
                )
            )
        )
    for key in sorted(wanted - known):
        session.add(IncidentGroupKey(incident_id=incident_id, key=key, last_seen_at=now))
    await session.flush()


async def note_group_keys_seen(
    session: AsyncSession, *, pairs: Collection[tuple[int, str]], now: datetime
) -> bool:
    """Note (incident, grouping key) pairs as seen now, in one statement; False when some
    pair is not an incident's key yet (then use :func:`add_group_keys`)."""
    wanted = set(pairs)
    if not wanted:
        return True
    seen = await session.execute(
        update(IncidentGroupKey)
        .where(tuple_(IncidentGroupKey.incident_id, IncidentGroupKey.key).in_(sorted(wanted)))
        .values(last_seen_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(seen.rowcount == len(wanted))  # type: ignore[attr-defined]


async def access_list(session: AsyncSession, *, incident_id: int) -> AccessList:
    rows = (
        await session.execute(
            select(IncidentAccess.kind, IncidentAccess.ref)
            .where(IncidentAccess.incident_id == incident_id)
            .order_by(IncidentAccess.kind, IncidentAccess.ref)
        )
    ).all()
    return AccessList(
        users=tuple(ref for kind, ref in rows if kind == ACCESS_USER),
        units=tuple(ref for kind, ref in rows if kind == ACCESS_UNIT),
    )


async def access_lists(
    session: AsyncSession, *, incident_ids: Collection[int]
) -> dict[int, AccessList]:
    if not incident_ids:
        return {}
    rows = (
        await session.execute(
            select(IncidentAccess.incident_id, IncidentAccess.kind, IncidentAccess.ref)
            .where(IncidentAccess.incident_id.in_(list(incident_ids)))
            .order_by(IncidentAccess.kind, IncidentAccess.ref)
        )
    ).all()
    users: dict[int, list[str]] = {incident_id: [] for incident_id in incident_ids}
    units: dict[int, list[str]] = {incident_id: [] for incident_id in incident_ids}
    for owner, kind, ref in rows:
        (users if kind == ACCESS_USER else units)[owner].append(ref)
    return {
        incident_id: AccessList(users=tuple(users[incident_id]), units=tuple(units[incident_id]))
        for incident_id in incident_ids
    }


async def get_incident(session: AsyncSession, *, incident_id: int) -> Incident:
    incident = await session.get(Incident, incident_id)
    if incident is None:
        raise NotFoundError(_("There is no incident %(id)d.") % {"id": incident_id})
    return incident


async def get_visible_incident(
    session: AsyncSession, *, incident_id: int, viewer: Viewer
) -> Incident:
    """The incident if ``viewer`` may see it; otherwise the same 404 as for a missing one."""
    incident = await get_incident(session, incident_id=incident_id)
    listed = await access_list(session, incident_id=incident.id)
    if not can_see(viewer, incident, users=listed.users, units=listed.units):
        raise NotFoundError(_("There is no incident %(id)d.") % {"id": incident_id})
    return incident


async def list_incidents(
    session: AsyncSession,
    *,
    viewer: Viewer,
    filters: IncidentFilter = IncidentFilter(),
    limit: int = 100,
    before_id: int | None = None,
) -> list[Incident]:
    """Newest first, only what ``viewer`` may see."""
    if not 1 <= limit <= MAX_LIST_LIMIT:
        raise ValidationFailed(
            _("The limit must be between 1 and %(max)d.") % {"max": MAX_LIST_LIMIT}
        )
    query = select(Incident).where(visible_to(viewer)).order_by(Incident.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(Incident.id < before_id)
    if filters.statuses:
        query = query.where(Incident.status.in_([status.value for status in filters.statuses]))
    if filters.severities:
        query = query.where(Incident.severity.in_([s.value for s in filters.severities]))
    if filters.category is not None:
        query = query.where(Incident.category == filters.category.value)
    if filters.is_drill is not None:
        query = query.where(Incident.is_drill.is_(filters.is_drill))
    if filters.opened_after is not None:
        query = query.where(Incident.opened_at >= filters.opened_after)
    if filters.opened_before is not None:
        query = query.where(Incident.opened_at < filters.opened_before)
    return list((await session.scalars(query)).all())


async def list_alerts(session: AsyncSession, *, incident_id: int) -> list[Alert]:
    query = select(Alert).where(Alert.incident_id == incident_id).order_by(Alert.id)
    return list((await session.scalars(query)).all())


async def count_alerts(
    session: AsyncSession, *, incident_ids: Collection[int]
) -> dict[int, tuple[int, int]]:
    """incident id -> (alerts, firing alerts)."""
    if not incident_ids:
        return {}
    firing = func.sum(case((Alert.status == "firing", 1), else_=0))
    rows = await session.execute(
        select(Alert.incident_id, func.count(Alert.id), firing)
        .where(Alert.incident_id.in_(list(incident_ids)))
        .group_by(Alert.incident_id)
    )
    return {int(row[0]): (int(row[1]), int(row[2] or 0)) for row in rows}


async def usernames(session: AsyncSession, *, user_ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {user_id for user_id in user_ids if user_id is not None}
    if not wanted:
        return {}
    rows = await session.execute(select(User.id, User.username).where(User.id.in_(wanted)))
    return {int(user_id): str(username) for user_id, username in rows}


@dataclass(frozen=True, slots=True)
class Timings:
    seconds_to_acknowledge: float | None
    seconds_to_mitigate: float | None
    seconds_to_resolve: float | None


def timings(incident: Incident) -> Timings:
    def since_open(moment: datetime | None) -> float | None:
        return None if moment is None else (moment - incident.opened_at).total_seconds()

    return Timings(
        seconds_to_acknowledge=since_open(incident.acknowledged_at),
        seconds_to_mitigate=since_open(incident.mitigated_at),
        seconds_to_resolve=since_open(incident.resolved_at),
    )


def sorted_unique(values: Sequence[str]) -> list[str]:
    return sorted({value for value in values if value})
