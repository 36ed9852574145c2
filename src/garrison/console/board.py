"""What the wallboard shows, gathered through the domains' own service functions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from garrison.auth.principal import Principal
from garrison.config import EventConfig
from garrison.directives.models import Directive
from garrison.directives.queries import DirectiveFilter, Scope, assignment_of, list_directives
from garrison.directives.service import OPEN_STATUSES, sees_every_directive
from garrison.duty import checkin
from garrison.duty.coverage import Gap, check_coverage
from garrison.duty.models import CheckInRecord
from garrison.duty.oncall import next_on_duty, who_is_on_duty
from garrison.duty.plan import DutyPlan
from garrison.duty.service import load_plan
from garrison.duty.source import configured_event
from garrison.errors import ConflictError
from garrison.event import service as event_service
from garrison.incidents.access import Viewer
from garrison.incidents.models import Incident
from garrison.incidents.service import IncidentFilter, list_incidents, usernames
from garrison.incidents.vocabulary import OPEN_STATUSES as OPEN_INCIDENT_STATUSES
from garrison.incidents.vocabulary import IncidentStatus, Severity
from garrison.notify.recipients import person_of_username
from garrison.probes.service import list_service_states
from garrison.probes.states import ServiceState
from garrison.settings import Settings

BOARD_INCIDENT_LIMIT = 50
GAP_HORIZON = timedelta(hours=24)
# A redundancy group whose primary is out but a backup still serves runs "on backup".
_OUT = {ServiceState.DOWN.value, ServiceState.UNREACHABLE.value}
_SERVING = {ServiceState.UP.value, ServiceState.DEGRADED.value}


@dataclass(frozen=True, slots=True)
class ServiceTile:
    id: str
    name: str
    state: str
    since: datetime | None
    reason: str
    criticality: str
    redundancy_group: str | None
    redundancy_role: str | None
    on_backup: bool = False


@dataclass(frozen=True, slots=True)
class SiteServices:
    name: str
    tiles: tuple[ServiceTile, ...]


@dataclass(frozen=True, slots=True)
class ServiceBoard:
    sites: tuple[SiteServices, ...]
    on_backup: tuple[str, ...]  # redundancy groups that lost their primary
    counts: dict[str, int] = field(default_factory=dict)


async def service_board(session: AsyncSession) -> ServiceBoard:
    rows = await list_service_states(session)
    site_names = {
        s.id: s.name
        for s in await event_service.list_items(session, table=event_service.ITEM_TABLES["sites"])
    }
    groups: dict[str, dict[str, set[str]]] = {}
    for record, state in rows:
        redundancy = (record.data or {}).get("redundancy") or {}
        if redundancy.get("group"):
            roles = groups.setdefault(redundancy["group"], {})
            roles.setdefault(redundancy.get("role", ""), set()).add(
                state.state if state else ServiceState.UNKNOWN.value
            )
    on_backup = tuple(
        sorted(
            name
            for name, roles in groups.items()
            if roles.get("primary", set()) & _OUT and roles.get("backup", set()) & _SERVING
        )
    )
    by_site: dict[str, list[ServiceTile]] = {}
    counts: dict[str, int] = {}
    for record, state in rows:
        redundancy = (record.data or {}).get("redundancy") or {}
        current = state.state if state else ServiceState.UNKNOWN.value
        counts[current] = counts.get(current, 0) + 1
        tile = ServiceTile(
            id=record.id,
            name=record.name,
            state=current,
            since=state.since if state else None,
            reason=state.reason if state else "",
            criticality=record.criticality,
            redundancy_group=redundancy.get("group"),
            redundancy_role=redundancy.get("role"),
            on_backup=redundancy.get("group") in on_backup,
        )
        site = site_names.get(record.site_id or "", "") if record.site_id else ""
        by_site.setdefault(site, []).append(tile)
    sites = tuple(
        SiteServices(name=name, tiles=tuple(tiles)) for name, tiles in sorted(by_site.items())
    )
    return ServiceBoard(sites=sites, on_backup=on_backup, counts=counts)


@dataclass(frozen=True, slots=True)
class IncidentRow:
    incident: Incident
    owner: str | None


async def open_incidents(
    session: AsyncSession, *, viewer: Viewer, limit: int = BOARD_INCIDENT_LIMIT
) -> list[IncidentRow]:
    statuses = tuple(IncidentStatus(s) for s in sorted(OPEN_INCIDENT_STATUSES))
    found = await list_incidents(
        session, viewer=viewer, filters=IncidentFilter(statuses=statuses), limit=limit
    )
    found.sort(key=lambda i: (Severity(i.severity).rank, i.opened_at))
    names = await usernames(session, user_ids=[i.assignee_id for i in found])
    return [
        IncidentRow(incident=i, owner=names.get(i.assignee_id) if i.assignee_id else None)
        for i in found
    ]


@dataclass(frozen=True, slots=True)
class PostDuty:
    post_id: str
    post_name: str
    now_person: str | None
    now_until: datetime | None
    next_person: str | None
    next_from: datetime | None


@dataclass(frozen=True, slots=True)
class DutyBoard:
    posts: tuple[PostDuty, ...]
    gaps: tuple[Gap, ...]
    missed: tuple[CheckInRecord, ...]
    person_names: dict[str, str]
    post_names: dict[str, str]


def event_config(settings: Settings) -> EventConfig | None:
    """The running event's configuration, or None for a Garrison started without one."""
    try:
        return configured_event(settings)
    except ConflictError:
        return None


async def duty_board(session: AsyncSession, *, config: EventConfig, now: datetime) -> DutyBoard:
    plan = await load_plan(session, config=config)
    names = {p.id: p.name for p in config.organisation.people}
    posts = []
    for post in config.organisation.posts:
        holder = who_is_on_duty(plan, post.id, now)
        coming = next_on_duty(plan, post.id, now)
        posts.append(
            PostDuty(
                post_id=post.id,
                post_name=post.name,
                now_person=names.get(holder.person, holder.person) if holder else None,
                now_until=holder.end if holder else None,
                next_person=names.get(coming.person, coming.person) if coming else None,
                next_from=coming.start if coming else None,
            )
        )
    horizon_end = min(now + GAP_HORIZON, max(plan.window_end, now))
    gaps = check_coverage(plan, start=now, end=horizon_end).gaps if horizon_end > now else ()
    missed = await checkin.list_check_ins(
        session, post_id=None, person_id=None, status="missed", limit=10
    )
    return DutyBoard(
        posts=tuple(posts),
        gaps=tuple(gaps),
        missed=tuple(missed),
        person_names=names,
        post_names={p.id: p.name for p in config.organisation.posts},
    )


def directive_scope(
    principal: Principal, *, config: EventConfig, plan: DutyPlan, now: datetime
) -> Scope:
    person = person_of_username(config, principal.username)
    assignment = assignment_of(person, config=config, plan=plan, at=now) if person else None
    return Scope(
        sees_all=sees_every_directive(principal), user_id=principal.user_id, assignment=assignment
    )


async def open_directives(
    session: AsyncSession, *, principal: Principal, config: EventConfig, now: datetime
) -> Sequence[Directive]:
    plan = await load_plan(session, config=config)
    scope = directive_scope(principal, config=config, plan=plan, now=now)
    return await list_directives(
        session,
        scope=scope,
        filters=DirectiveFilter(statuses=sorted(OPEN_STATUSES)),
        limit=BOARD_INCIDENT_LIMIT,
    )
