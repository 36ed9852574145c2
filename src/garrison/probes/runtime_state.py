"""What the engine reads back from the database when it starts, and on command."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.config.checks import Recurrence
from garrison.probes.engine import RestoredCheck
from garrison.probes.maintenance import Window
from garrison.probes.models import (
    BaselineRecord,
    CheckStateRecord,
    HeartbeatRecord,
    MaintenanceRecord,
    ServiceStateRecord,
)
from garrison.probes.plan import ProbePlan, make_window
from garrison.probes.results import ContentBaseline
from garrison.probes.service_state import ServiceStatus
from garrison.probes.states import CheckState, ServiceState

API_SOURCE = "api"


@dataclass(slots=True)
class RuntimeState:
    checks: dict[str, RestoredCheck] = field(default_factory=dict)
    services: dict[str, ServiceStatus] = field(default_factory=dict)
    api_windows: list[Window] = field(default_factory=list)
    baselines: dict[str, ContentBaseline] = field(default_factory=dict)
    last_beats: dict[str, datetime] = field(default_factory=dict)


async def load_runtime_state(session: AsyncSession) -> RuntimeState:
    state = RuntimeState()
    for row in (await session.scalars(select(CheckStateRecord))).all():
        state.checks[row.check_id] = RestoredCheck(
            state=CheckState(row.state), since=row.since, paused=row.paused
        )
    for service in (await session.scalars(select(ServiceStateRecord))).all():
        state.services[service.service_id] = ServiceStatus(
            state=ServiceState(service.state),
            measured=ServiceState(service.measured),
            reason=service.reason,
            caused_by=service.caused_by,
            in_maintenance=service.in_maintenance,
        )
    state.api_windows = await load_api_windows(session)
    state.baselines = await load_baselines(session)
    for beat in (await session.scalars(select(HeartbeatRecord))).all():
        if beat.last_beat_at is not None:
            state.last_beats[beat.check_id] = beat.last_beat_at
    return state


async def load_api_windows(session: AsyncSession) -> list[Window]:
    query = select(MaintenanceRecord).where(
        MaintenanceRecord.source == API_SOURCE, MaintenanceRecord.retired_at.is_(None)
    )
    return [window_of(row) for row in (await session.scalars(query)).all()]


def window_of(row: MaintenanceRecord) -> Window:
    return make_window(
        window_id=row.id,
        services=row.services,
        checks=row.checks,
        start=row.starts_at,
        end=row.ends_at,
        recurrence=Recurrence.model_validate(row.recurrence) if row.recurrence else None,
        reason=row.reason,
    )


async def load_baselines(
    session: AsyncSession, *, check_id: str | None = None
) -> dict[str, ContentBaseline]:
    query = select(BaselineRecord).where(BaselineRecord.retired_at.is_(None))
    if check_id is not None:
        query = query.where(BaselineRecord.check_id == check_id)
    baselines: dict[str, ContentBaseline] = {}
    for row in (await session.scalars(query.order_by(BaselineRecord.id))).all():
        baselines[row.check_id] = baseline_of(row)
    return baselines


def baseline_of(row: BaselineRecord) -> ContentBaseline:
    return ContentBaseline(
        text=row.text,
        script_origins=frozenset(row.script_origins),
        iframe_origins=frozenset(row.iframe_origins),
        link_origins=frozenset(row.link_origins),
    )


async def ensure_state_rows(session: AsyncSession, *, plan: ProbePlan, at: datetime) -> None:
    """Every watched check and service has its current-state row (UNKNOWN at first)."""
    known_checks = set((await session.scalars(select(CheckStateRecord.check_id))).all())
    for check_id in plan.checks:
        if check_id not in known_checks:
            session.add(CheckStateRecord(**_new_check_state(check_id, at)))
    known_services = set((await session.scalars(select(ServiceStateRecord.service_id))).all())
    for service_id in plan.services:
        if service_id not in known_services:
            session.add(
                ServiceStateRecord(
                    service_id=service_id,
                    state=ServiceState.UNKNOWN.value,
                    measured=ServiceState.UNKNOWN.value,
                    since=at,
                    caused_by=None,
                    in_maintenance=False,
                    reason="",
                    updated_at=at,
                )
            )
    await session.flush()


def _new_check_state(check_id: str, at: datetime) -> dict[str, Any]:
    return {
        "check_id": check_id,
        "state": CheckState.UNKNOWN.value,
        "since": at,
        "reason": "",
        "paused": False,
        "updated_at": at,
    }
