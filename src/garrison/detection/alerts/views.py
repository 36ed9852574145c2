"""Detection alerts over HTTP: list with filters, and one alert."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi import Path as PathParameter
from pydantic import AwareDatetime

from garrison.auth.dependencies import require
from garrison.auth.permissions import Permission
from garrison.auth.principal import Principal
from garrison.detection.alerts.schemas import DetectionAlertOut, DetectionAlertPage
from garrison.detection.alerts.service import (
    MAX_LIST_LIMIT,
    AlertFilters,
    get_alert,
    list_alerts,
)
from garrison.web.dependencies import DbSession

router = APIRouter(prefix="/detections", tags=["detection"])

DetectionReader = Annotated[Principal, Depends(require(Permission.DETECTION_READ))]
Level = Literal["informational", "low", "medium", "high", "critical"]


@router.get("", response_model=DetectionAlertPage)
async def list_detections(
    *,
    _principal: DetectionReader,
    session: DbSession,
    limit: Annotated[int, Query(ge=1, le=MAX_LIST_LIMIT)] = 100,
    before_id: Annotated[int | None, Query(ge=1)] = None,
    level: Level | None = None,
    rule_id: Annotated[str | None, Query(max_length=200)] = None,
    category: Annotated[str | None, Query(max_length=32)] = None,
    source: Annotated[str | None, Query(max_length=200)] = None,
    source_address: Annotated[str | None, Query(max_length=64)] = None,
    since: AwareDatetime | None = None,
    until: AwareDatetime | None = None,
) -> DetectionAlertPage:
    alerts = await list_alerts(
        session,
        filters=AlertFilters(
            level=level,
            rule_id=rule_id,
            category=category,
            source=source,
            source_address=source_address,
            since=since,
            until=until,
        ),
        limit=limit,
        before_id=before_id,
    )
    more = len(alerts) == limit and alerts[-1].id > 1
    return DetectionAlertPage(
        alerts=[DetectionAlertOut.from_alert(alert) for alert in alerts],
        next_before_id=alerts[-1].id if more else None,
    )


@router.get("/{alert_id}", response_model=DetectionAlertOut)
async def get_detection(
    *,
    _principal: DetectionReader,
    session: DbSession,
    alert_id: Annotated[str, PathParameter(max_length=36)],
) -> DetectionAlertOut:
    return DetectionAlertOut.from_alert(await get_alert(session, alert_id=alert_id))
