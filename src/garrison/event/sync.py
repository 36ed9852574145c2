"""Mirror the event configuration into the database, idempotently.

New items are added, changed ones updated, removed ones retired — never deleted.
Every change is an audit entry (with before and after), so the history of the
configuration is kept in the tamper-evident log. A second sync of the same
configuration changes nothing and writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.audit.actor import Actor
from garrison.audit.service import record_audit
from garrison.config import EventConfig, LoadedConfig
from garrison.event.models import (
    ConfigSyncRecord,
    EventRecord,
    MirroredItem,
    PersonRecord,
    PhaseRecord,
    PostRecord,
    ServiceRecord,
    SiteRecord,
    UnitRecord,
)


@dataclass(slots=True)
class SyncReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.retired)


@dataclass(frozen=True, slots=True)
class _Kind:
    label: str
    table: type[MirroredItem]
    items: Callable[[EventConfig], Sequence[BaseModel]]
    columns: Callable[[Any], dict[str, Any]]


def _no_columns(_item: Any) -> dict[str, Any]:
    return {}


# Order matters: referenced tables first, so foreign keys hold at every step.
_KINDS: tuple[_Kind, ...] = (
    _Kind(
        "event",
        EventRecord,
        lambda c: [c.event],
        lambda e: {"timezone": e.timezone, "starts_at": e.start, "ends_at": e.end},
    ),
    _Kind(
        "phase",
        PhaseRecord,
        lambda c: c.event.phases,
        lambda p: {"starts_at": p.start, "ends_at": p.end},
    ),
    _Kind("site", SiteRecord, lambda c: c.sites, _no_columns),
    _Kind("unit", UnitRecord, lambda c: c.organisation.units, _no_columns),
    _Kind(
        "person",
        PersonRecord,
        lambda c: c.organisation.people,
        lambda p: {"unit_id": p.unit, "role": str(p.role), "username": p.username},
    ),
    _Kind(
        "post",
        PostRecord,
        lambda c: c.organisation.posts,
        lambda p: {"unit_id": p.unit, "site_id": p.site},
    ),
    _Kind(
        "service",
        ServiceRecord,
        lambda c: c.services,
        lambda s: {
            "kind": str(s.kind),
            "criticality": str(s.criticality),
            "unit_id": s.unit,
            "site_id": s.site,
        },
    ),
)


async def sync_configuration(
    session: AsyncSession, *, loaded: LoadedConfig, actor: Actor, at: datetime, source: str
) -> SyncReport:
    """Bring the mirror in line with ``loaded``; flushes, the caller commits."""
    report = SyncReport()
    for kind in _KINDS:
        await _sync_kind(
            session, kind=kind, config=loaded.config, report=report, actor=actor, at=at
        )
    if report.changed:
        session.add(
            ConfigSyncRecord(
                synced_at=at,
                digest=loaded.digest,
                source=source,
                added=len(report.added),
                updated=len(report.updated),
                retired=len(report.retired),
            )
        )
        await session.flush()
    return report


async def _sync_kind(
    session: AsyncSession,
    *,
    kind: _Kind,
    config: EventConfig,
    report: SyncReport,
    actor: Actor,
    at: datetime,
) -> None:
    wanted = {item.id: item for item in kind.items(config)}  # type: ignore[attr-defined]
    existing = {row.id: row for row in (await session.scalars(select(kind.table))).all()}
    for item_id, item in wanted.items():
        data = item.model_dump(mode="json")
        values = {"name": getattr(item, "name", item_id), "data": data, **kind.columns(item)}
        row = existing.get(item_id)
        if row is None:
            session.add(
                kind.table(id=item_id, created_at=at, updated_at=at, retired_at=None, **values)
            )
            report.added.append(f"{kind.label}:{item_id}")
            await _audit(
                session,
                kind=kind,
                item_id=item_id,
                actor=actor,
                at=at,
                verb="add",
                before=None,
                after=data,
            )
            continue
        before = _snapshot(row)
        if row.retired_at is None and _same(before, values):
            continue
        for key, value in values.items():
            setattr(row, key, value)
        action = "update" if row.retired_at is None else "restore"
        row.retired_at = None
        row.updated_at = at
        report.updated.append(f"{kind.label}:{item_id}")
        await _audit(
            session,
            kind=kind,
            item_id=item_id,
            actor=actor,
            at=at,
            verb=action,
            before=before["data"],
            after=data,
        )
    for item_id, row in existing.items():
        if item_id in wanted or row.retired_at is not None:
            continue
        row.retired_at = at
        row.updated_at = at
        report.retired.append(f"{kind.label}:{item_id}")
        await _audit(
            session,
            kind=kind,
            item_id=item_id,
            actor=actor,
            at=at,
            verb="retire",
            before=row.data,
            after=None,
        )
    await session.flush()


def _snapshot(row: MirroredItem) -> dict[str, Any]:
    return {column: getattr(row, column) for column in ("name", "data", *_extra_columns(row))}


def _extra_columns(row: MirroredItem) -> tuple[str, ...]:
    base = {"id", "name", "data", "created_at", "updated_at", "retired_at"}
    return tuple(c.key for c in row.__table__.columns if c.key not in base)


def _same(before: Mapping[str, Any], values: Mapping[str, Any]) -> bool:
    return all(before.get(key) == value for key, value in values.items())


async def _audit(
    session: AsyncSession,
    *,
    kind: _Kind,
    item_id: str,
    actor: Actor,
    at: datetime,
    verb: str,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
) -> None:
    await record_audit(
        session,
        actor=actor,
        action=f"config.{kind.label}.{verb}",
        target_type=kind.label,
        target_id=item_id,
        at=at,
        before=before,
        after=after,
    )
