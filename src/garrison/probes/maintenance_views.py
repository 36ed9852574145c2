"""Maintenance windows over HTTP: list them; add and end windows at run time (audited)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response
from pydantic import ValidationError

from garrison.audit.actor import Actor
from garrison.auth.dependencies import require
from garrison.auth.permissions import Permission
from garrison.auth.principal import Principal
from garrison.config.checks import MaintenanceWindow
from garrison.errors import ValidationFailed
from garrison.i18n import gettext as _
from garrison.probes import actions, service
from garrison.probes.commands import MaintenanceChanged
from garrison.probes.runtime_state import window_of
from garrison.probes.schemas import MaintenanceIn, MaintenanceOut
from garrison.web.dependencies import Context, DbSession, Origin

router = APIRouter(tags=["maintenance"])

CheckReader = Annotated[Principal, Depends(require(Permission.CHECK_READ))]
MaintenanceManager = Annotated[Principal, Depends(require(Permission.MAINTENANCE_MANAGE))]


@router.get("/maintenance", response_model=list[MaintenanceOut], summary="Maintenance windows")
async def list_windows(
    *, _principal: CheckReader, session: DbSession, context: Context, include_ended: bool = False
) -> list[MaintenanceOut]:
    zone = await service.event_zone(session)
    now = context.clock.now()
    windows = await service.list_windows(session, include_retired=include_ended)
    return [
        MaintenanceOut.of(
            window,
            open_now=window.retired_at is None and window_of(window).is_open(zone, now),
        )
        for window in windows
    ]


@router.post(
    "/maintenance",
    response_model=MaintenanceOut,
    status_code=201,
    summary="Add a maintenance window: alerts are suppressed, measuring goes on",
)
async def add_window(
    *,
    principal: MaintenanceManager,
    body: MaintenanceIn,
    session: DbSession,
    context: Context,
    origin: Origin,
) -> MaintenanceOut:
    zone = await service.event_zone(session)
    now = context.clock.now()
    try:
        window = MaintenanceWindow(
            id="api",
            services=tuple(body.services),
            checks=tuple(body.checks),
            start=service.in_zone(body.start, zone) if body.start else None,
            end=service.in_zone(body.end, zone) if body.end else None,
            recurrence=body.recurrence,
            reason=body.reason,
        )
    except ValidationError as exc:
        problems = "; ".join(
            str(error["msg"]).removeprefix("Value error, ") for error in exc.errors()
        )
        raise ValidationFailed(
            _("The maintenance window is not valid: %(problems)s") % {"problems": problems}
        ) from None
    record = await actions.add_window(
        session, window=window, actor=Actor.from_principal(principal), at=now, origin=origin
    )
    await session.commit()
    await context.bus.publish(MaintenanceChanged(occurred_at=now, window_id=record.id))
    return MaintenanceOut.of(record, open_now=window_of(record).is_open(zone, now))


@router.delete(
    "/maintenance/{window_id}",
    status_code=204,
    summary="End a window added through the API (it is kept, as ended)",
)
async def end_window(
    *,
    principal: MaintenanceManager,
    window_id: Annotated[str, Path(max_length=64)],
    session: DbSession,
    context: Context,
    origin: Origin,
) -> Response:
    now = context.clock.now()
    await actions.end_window(
        session, window_id=window_id, actor=Actor.from_principal(principal), at=now, origin=origin
    )
    await session.commit()
    await context.bus.publish(MaintenanceChanged(occurred_at=now, window_id=window_id))
    return Response(status_code=204)
