"""The event over HTTP: JSON API and the first page after login."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from garrison.audit.actor import Actor
from garrison.auth.dependencies import PagePrincipal, require
from garrison.auth.permissions import Permission
from garrison.auth.principal import Principal
from garrison.config import load_config
from garrison.errors import ConflictError
from garrison.event import service
from garrison.event.schemas import EventOut, ItemOut, PhaseOut, SyncOut
from garrison.event.sync import sync_configuration
from garrison.i18n import gettext as _
from garrison.incidents.integrations import sync_config_integrations
from garrison.incidents.policy import sync_policy
from garrison.probes.commands import ChecksChanged
from garrison.probes.sync import sync_probes
from garrison.web.dependencies import Context, DbSession
from garrison.web.templating import render

api_router = APIRouter(tags=["event"])
page_router = APIRouter(include_in_schema=False)

EventReader = Annotated[Principal, Depends(require(Permission.EVENT_READ))]
ConfigSyncer = Annotated[Principal, Depends(require(Permission.CONFIG_SYNC))]


@api_router.get("/event", response_model=EventOut)
async def read_event(_principal: EventReader, session: DbSession, context: Context) -> EventOut:
    event = await service.get_event(session)
    phase = await service.current_phase(session, at=context.clock.now())
    phases = await service.list_phases(session)
    return EventOut(
        id=event.id,
        name=event.name,
        timezone=event.timezone,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        current_phase=phase.id if phase else None,
        phases=[
            PhaseOut(id=p.id, name=p.name, starts_at=p.starts_at, ends_at=p.ends_at) for p in phases
        ],
    )


@api_router.get("/event/{kind}", response_model=list[ItemOut])
async def list_event_items(
    kind: Literal["sites", "units", "people", "posts", "services"],
    _principal: EventReader,
    session: DbSession,
    include_retired: bool = False,
) -> list[ItemOut]:
    rows = await service.list_items(
        session, table=service.ITEM_TABLES[kind], include_retired=include_retired
    )
    return [ItemOut(id=r.id, name=r.name, retired_at=r.retired_at, data=r.data) for r in rows]


@api_router.post("/config/sync", response_model=SyncOut)
async def sync_config(principal: ConfigSyncer, session: DbSession, context: Context) -> SyncOut:
    path = context.settings.config_file
    if path is None:
        raise ConflictError(_("Garrison was started without a configuration file."))
    loaded = load_config(path)
    actor = Actor.from_principal(principal)
    now = context.clock.now()
    report = await sync_configuration(session, loaded=loaded, actor=actor, at=now, source=str(path))
    probes = await sync_probes(session, loaded=loaded, actor=actor, at=now)
    incidents = loaded.config.incidents
    await sync_policy(session, config=incidents, actor=actor, now=now)
    await sync_config_integrations(session, configured=incidents.integrations, actor=actor, now=now)
    await session.commit()
    # The running probe engine re-reads its checks and windows (it may run elsewhere).
    await context.bus.publish(ChecksChanged(occurred_at=now, digest=loaded.digest))
    return SyncOut(
        added=[*report.added, *probes.added],
        updated=[*report.updated, *probes.updated],
        retired=[*report.retired, *probes.retired],
        digest=loaded.digest,
    )


@page_router.get("/", response_class=HTMLResponse)
async def home_page(
    request: Request, principal: PagePrincipal, session: DbSession, context: Context
) -> HTMLResponse:
    now = context.clock.now()
    event = await service.find_event(session)
    phase = await service.current_phase(session, at=now) if event else None
    services = await service.list_services(session) if event else []
    units = {
        u.id: u.name for u in await service.list_items(session, table=service.ITEM_TABLES["units"])
    }
    sites = {
        s.id: s.name for s in await service.list_items(session, table=service.ITEM_TABLES["sites"])
    }
    return render(
        request,
        "home.html",
        {
            "event": event,
            "phase": phase,
            "services": services,
            "service_names": {s.id: s.name for s in services},
            "units": units,
            "sites": sites,
            "now": now,
            "can_read": principal.can(Permission.EVENT_READ),
        },
    )
