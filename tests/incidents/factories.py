"""Integrations, event configurations, payloads and users for the incident tests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from garrison.audit.actor import Actor
from garrison.auth.permissions import Role
from garrison.config import load_config
from garrison.config.incidents import IncidentsConfig, IntegrationKind
from garrison.event.sync import sync_configuration
from garrison.incidents.integrations import IntegrationSettings, create_integration
from garrison.incidents.models import Alert, Incident, SignalRecord, TimelineEntry
from garrison.incidents.policy import sync_policy
from garrison.incidents.worker import IncidentWorker
from garrison.runtime.context import AppContext
from tests.auth.factories import bearer, make_token, make_user

TEST_ACTOR = Actor.system("test")
START_TIMEOUT = 10.0

EVENT_YAML = """
event:
  id: summit
  name: Summit 2026
  timezone: Asia/Ho_Chi_Minh
  start: 2026-06-01T08:00:00
  end: 2026-06-03T18:00:00
organisation:
  units:
    - {id: comms, name: Communications unit}
    - {id: cyber, name: Cybersecurity unit}
  people:
    - {id: lan, name: Nguyễn Thị Lan, unit: comms, role: duty_officer, username: lan}
    - {id: minh, name: Trần Văn Minh, unit: cyber, role: analyst, username: minh}
sites:
  - {id: hall, name: Congress hall}
  - {id: press, name: Press centre}
services:
  - {id: uplink-a, name: Uplink A, kind: link, criticality: critical, unit: comms,
     redundancy: {group: uplink, role: primary}}
  - {id: uplink-b, name: Uplink B, kind: link, criticality: critical, unit: comms,
     redundancy: {group: uplink, role: backup}}
  - {id: portal, name: Event portal, kind: website, criticality: high, unit: comms, site: hall,
     depends_on: [uplink-a]}
  - {id: press-wifi, name: Press Wi-Fi, kind: link, criticality: normal, unit: comms, site: press}
"""


async def sync_event(context: AppContext, tmp_path: Path, text: str = EVENT_YAML) -> None:
    path = tmp_path / "event.yaml"
    path.write_text(text, encoding="utf-8")
    loaded = load_config(path, environ={})
    async with context.sessions() as session:
        await sync_configuration(
            session, loaded=loaded, actor=TEST_ACTOR, at=context.clock.now(), source=str(path)
        )
        await session.commit()


async def set_policy(context: AppContext, config: IncidentsConfig) -> None:
    async with context.sessions() as session:
        await sync_policy(session, config=config, actor=TEST_ACTOR, now=context.clock.now())
        await session.commit()


async def make_integration(
    context: AppContext,
    kind: IntegrationKind,
    integration_id: str | None = None,
    *,
    rate_limit: int = 120,
    name: str | None = None,
) -> str:
    """A new integration; returns its key."""
    async with context.sessions() as session:
        created = await create_integration(
            session,
            integration_id=integration_id or f"{kind.value}-main",
            settings=IntegrationSettings(
                name=name or f"{kind.value} main",
                kind=kind,
                rate_limit_per_minute=rate_limit,
            ),
            actor=TEST_ACTOR,
            now=context.clock.now(),
        )
        await session.commit()
    return created.key


async def user_headers(context: AppContext, username: str, role: Role) -> dict[str, str]:
    await make_user(context, username, role=role)
    return bearer(await make_token(context, username))


def am_alert(
    fingerprint: str,
    *,
    status: str = "firing",
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
) -> dict[str, Any]:
    return {
        "status": status,
        "labels": {"alertname": "LinkDown", "instance": fingerprint, **(labels or {})},
        "annotations": annotations or {"summary": f"Link down at {fingerprint}"},
        "startsAt": "2026-06-01T07:59:00Z",
        "endsAt": "0001-01-01T00:00:00Z" if status == "firing" else "2026-06-01T08:05:00Z",
        "generatorURL": "http://prometheus.example/graph",
        "fingerprint": fingerprint,
    }


def am_payload(
    alerts: list[dict[str, Any]], *, group_key: str = '{}:{alertname="LinkDown"}'
) -> dict[str, Any]:
    firing = any(alert["status"] == "firing" for alert in alerts)
    return {
        "version": "4",
        "groupKey": group_key,
        "truncatedAlerts": 0,
        "status": "firing" if firing else "resolved",
        "receiver": "garrison",
        "groupLabels": {"alertname": "LinkDown"},
        "commonLabels": {"alertname": "LinkDown"},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example",
        "alerts": alerts,
    }


async def incidents(context: AppContext) -> list[Incident]:
    async with context.sessions() as session:
        return list((await session.scalars(select(Incident).order_by(Incident.id))).all())


async def alerts(context: AppContext) -> list[Alert]:
    async with context.sessions() as session:
        return list((await session.scalars(select(Alert).order_by(Alert.id))).all())


async def timeline_kinds(context: AppContext, incident_id: int) -> list[str]:
    async with context.sessions() as session:
        rows = await session.scalars(
            select(TimelineEntry.kind)
            .where(TimelineEntry.incident_id == incident_id)
            .order_by(TimelineEntry.id)
        )
        return list(rows.all())


async def signal_count(context: AppContext) -> int:
    async with context.sessions() as session:
        return int(await session.scalar(select(func.count(SignalRecord.id))) or 0)


@contextlib.asynccontextmanager
async def running_worker(context: AppContext) -> AsyncIterator[IncidentWorker]:
    """The incident worker on ``context``'s bus, started and, at the end, cancelled."""
    worker = IncidentWorker(context)
    started = asyncio.Event()
    task = asyncio.create_task(worker.run(started.set))
    try:
        await asyncio.wait_for(started.wait(), timeout=START_TIMEOUT)
        yield worker
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
