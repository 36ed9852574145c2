"""API shapes of detection alerts. Author and licence are always there (Detection Rule License)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from garrison.detection.alerts.models import DetectionAlert


class RuleOut(BaseModel):
    id: str
    title: str
    level: str
    author: str
    license: str


class DetectionAlertOut(BaseModel):
    alert_id: str
    id: int
    fingerprint: str
    rule: RuleOut
    kind: str
    category: str
    source: str
    summary: str
    source_address: str | None
    host: str | None
    matched_fields: dict[str, Any]
    events: list[dict[str, Any]]
    occurred_at: datetime
    first_seen_at: datetime
    last_seen_at: datetime
    count: int
    is_drill: bool
    drill_run_id: int | None = None  # the drill (run) a drill's alert was injected by

    @classmethod
    def from_alert(cls, alert: DetectionAlert) -> DetectionAlertOut:
        return cls(
            alert_id=alert.alert_id,
            id=alert.id,
            fingerprint=alert.fingerprint,
            rule=RuleOut(
                id=alert.rule_id,
                title=alert.rule_title,
                level=alert.rule_level,
                author=alert.rule_author,
                license=alert.rule_license,
            ),
            kind=alert.kind,
            category=alert.category,
            source=alert.source,
            summary=alert.summary,
            source_address=alert.source_address,
            host=alert.host,
            matched_fields=alert.matched_fields,
            events=alert.events,
            occurred_at=alert.occurred_at,
            first_seen_at=alert.first_seen_at,
            last_seen_at=alert.last_seen_at,
            count=alert.count,
            is_drill=alert.is_drill,
            drill_run_id=alert.drill_run_id,
        )


class DetectionAlertPage(BaseModel):
    alerts: list[DetectionAlertOut]
    # Pass as ``before_id`` for the next (older) page; null on the last page.
    next_before_id: int | None
