"""A stored alert as the bus hears of it (``DetectionAlertRaised``), for the detection worker
and for drills, which store their injected detections the same way."""

from __future__ import annotations

from collections.abc import Mapping

from garrison.detection.alerts.models import DetectionAlert
from garrison.detection.events import DetectionAlertRaised


def alert_event(
    alert: DetectionAlert,
    *,
    service_id: str | None = None,
    drill: Mapping[str, object] | None = None,
) -> DetectionAlertRaised:
    return DetectionAlertRaised(
        occurred_at=alert.first_seen_at,
        alert_id=alert.alert_id,
        fingerprint=alert.fingerprint,
        rule_id=alert.rule_id,
        rule_title=alert.rule_title,
        rule_level=alert.rule_level,
        rule_author=alert.rule_author,
        rule_license=alert.rule_license,
        source=alert.source,
        category=alert.category,
        summary=alert.summary,
        source_address=alert.source_address,
        service_id=service_id,
        matched_fields=dict(alert.matched_fields),
        events=tuple(alert.events[-5:]),
        is_drill=alert.is_drill,
        drill=None if drill is None else dict(drill),
    )
