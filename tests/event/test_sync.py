from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from garrison.audit.actor import Actor
from garrison.audit.models import AuditEntry
from garrison.config import load_config
from garrison.event.models import ConfigSyncRecord, PersonRecord, ServiceRecord
from garrison.event.sync import SyncReport, sync_configuration
from garrison.runtime.context import AppContext

BASE = """
event:
  id: summit
  name: Summit 2026
  timezone: Asia/Ho_Chi_Minh
  start: 2026-06-01T08:00:00
  end: 2026-06-03T18:00:00
  phases:
    - {id: preparation, start: 2026-05-20T00:00:00, end: 2026-06-01T08:00:00}
    - {id: operation, start: 2026-06-01T08:00:00, end: 2026-06-03T18:00:00}
organisation:
  units:
    - {id: comms, name: Communications unit}
  people:
    - {id: lan, name: Nguyễn Thị Lan, unit: comms, role: duty_officer}
  posts:
    - {id: noc, name: Network operations centre, unit: comms, site: hall}
sites:
  - {id: hall, name: Congress hall}
services:
  - {id: uplink-a, name: Uplink A, kind: link, criticality: critical, unit: comms,
     redundancy: {group: uplink, role: primary}}
  - {id: uplink-b, name: Uplink B, kind: link, criticality: critical, unit: comms,
     redundancy: {group: uplink, role: backup}}
  - {id: portal, name: Event portal, kind: website, criticality: high, unit: comms, site: hall,
     depends_on: [uplink-a]}
"""


async def _sync(context: AppContext, path: Path) -> SyncReport:
    loaded = load_config(path)
    async with context.sessions() as session:
        report = await sync_configuration(
            session,
            loaded=loaded,
            actor=Actor.system("test"),
            at=context.clock.now(),
            source=str(path),
        )
        await session.commit()
    return report


async def _count(context: AppContext, model: type[object]) -> int:
    async with context.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_first_sync_adds_everything_and_audits_it(
    context: AppContext, tmp_path: Path
) -> None:
    path = tmp_path / "event.yaml"
    path.write_text(BASE, encoding="utf-8")
    report = await _sync(context, path)
    assert sorted(report.added) == sorted(
        [
            "event:summit",
            "phase:preparation",
            "phase:operation",
            "site:hall",
            "unit:comms",
            "person:lan",
            "post:noc",
            "service:uplink-a",
            "service:uplink-b",
            "service:portal",
        ]
    )
    assert report.updated == []
    assert report.retired == []
    assert await _count(context, AuditEntry) == len(report.added)
    async with context.sessions() as session:
        portal = await session.get(ServiceRecord, "portal")
        assert portal is not None
        assert portal.site_id == "hall"
        assert portal.data["depends_on"] == ["uplink-a"]
        person = await session.get(PersonRecord, "lan")
        assert person is not None
        assert person.name == "Nguyễn Thị Lan"


async def test_second_sync_of_the_same_file_changes_nothing(
    context: AppContext, tmp_path: Path
) -> None:
    path = tmp_path / "event.yaml"
    path.write_text(BASE, encoding="utf-8")
    await _sync(context, path)
    audit_before = await _count(context, AuditEntry)
    syncs_before = await _count(context, ConfigSyncRecord)
    async with context.sessions() as session:
        stamp_before = (await session.get(ServiceRecord, "portal")).updated_at  # type: ignore[union-attr]
    context.clock.advance(60)  # type: ignore[attr-defined]
    report = await _sync(context, path)
    assert not report.changed
    assert await _count(context, AuditEntry) == audit_before
    assert await _count(context, ConfigSyncRecord) == syncs_before
    async with context.sessions() as session:
        assert (await session.get(ServiceRecord, "portal")).updated_at == stamp_before  # type: ignore[union-attr]


async def test_removed_items_are_retired_not_deleted_and_can_come_back(
    context: AppContext, tmp_path: Path
) -> None:
    path = tmp_path / "event.yaml"
    path.write_text(BASE, encoding="utf-8")
    await _sync(context, path)

    changed = BASE.replace("name: Event portal", "name: Official event portal")
    changed = changed.split("  - {id: portal")[0].replace(
        "name: Uplink B", "name: Uplink B (satellite)"
    )
    path.write_text(changed, encoding="utf-8")
    report = await _sync(context, path)
    assert report.retired == ["service:portal"]
    assert report.updated == ["service:uplink-b"]
    async with context.sessions() as session:
        portal = await session.get(ServiceRecord, "portal")
        assert portal is not None, "retired items keep their row"
        assert portal.retired_at == context.clock.now()
        assert portal.name == "Event portal"

    path.write_text(BASE, encoding="utf-8")
    report = await _sync(context, path)
    assert sorted(report.updated) == ["service:portal", "service:uplink-b"]
    async with context.sessions() as session:
        portal = await session.get(ServiceRecord, "portal")
        assert portal is not None
        assert portal.retired_at is None
        actions = (
            await session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.target_id == "portal")
                .order_by(AuditEntry.seq)
            )
        ).all()
    assert list(actions) == [
        "config.service.add",
        "config.service.retire",
        "config.service.restore",
    ]
