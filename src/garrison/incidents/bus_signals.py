"""Signals from the bus: service states from the probes, alerts from detection.

DOWN and DEGRADED trigger; UP resolves the service's alert. UNREACHABLE never pages
by itself: its alert only joins the incident of the service it is accounted to
(``caused_by``). MAINTENANCE, UNKNOWN and anything in a maintenance window are kept
as signals and nothing more.
"""

from __future__ import annotations

from garrison.config.incidents import IncidentsConfig
from garrison.detection.events import DetectionAlertRaised
from garrison.i18n import gettext as _
from garrison.incidents.policy import detection_severity
from garrison.incidents.signals import (
    IncomingSignal,
    SignalAction,
    SourceKind,
    bounded_details,
    clip,
    clip_key,
    clip_summary,
)
from garrison.incidents.vocabulary import Category
from garrison.probes.events import ServiceStateChanged
from garrison.probes.states import ServiceState

PROBES_SOURCE = "probes"
DETECTION_SOURCE = "detection"


def service_dedup_key(service_id: str) -> str:
    return clip_key(f"service:{service_id}")


def detection_dedup_key(fingerprint: str) -> str:
    """The alert key of a detection: one alert per detection fingerprint."""
    return clip_key(f"detection:{fingerprint}")


def signal_from_service_state(event: ServiceStateChanged) -> IncomingSignal:
    state = event.current
    action, pages = _service_action(state, in_maintenance=event.in_maintenance)
    summary = _("Service %(service)s is %(state)s") % {
        "service": event.service_id,
        "state": state,
    }
    if event.reason:
        summary = f"{summary}: {event.reason}"
    return IncomingSignal(
        source=PROBES_SOURCE,
        source_kind=SourceKind.PROBES,
        source_name=_("Service checks"),
        action=action,
        dedup_key=service_dedup_key(event.service_id),
        summary=clip_summary(summary),
        category=Category.AVAILABILITY,
        pages=pages,
        service_id=clip(event.service_id, 64),
        service_state=state,
        dependency_root=clip(event.caused_by, 64) if event.caused_by else None,
        occurred_at=event.occurred_at,
        details=bounded_details(
            {
                "previous": event.previous,
                "current": state,
                "reason": event.reason,
                "caused_by": event.caused_by,
                "in_maintenance": event.in_maintenance,
                "checks": event.checks,
                "evidence": list(event.evidence),
            }
        ),
    )


def _service_action(state: str, *, in_maintenance: bool) -> tuple[SignalAction, bool]:
    if state == ServiceState.UP:
        return SignalAction.RESOLVE, False
    if in_maintenance or state in {ServiceState.MAINTENANCE, ServiceState.UNKNOWN}:
        return SignalAction.RECORD, False
    if state == ServiceState.UNREACHABLE:
        return SignalAction.TRIGGER, False
    if state in {ServiceState.DOWN, ServiceState.DEGRADED}:
        return SignalAction.TRIGGER, True
    return SignalAction.RECORD, False


def signal_from_detection(event: DetectionAlertRaised, policy: IncidentsConfig) -> IncomingSignal:
    try:
        category = Category(event.category)
    except ValueError:
        category = Category.OTHER
    summary = f"{event.rule_title}: {event.summary}" if event.summary else event.rule_title
    # The Detection Rule License asks for the rule's author wherever its matches are shown:
    # the summary becomes the incident's title, shown on the wallboard and in notifications.
    summary = _("%(summary)s (rule by %(author)s)") % {
        "summary": summary,
        "author": event.rule_author or _("unknown author"),
    }
    return IncomingSignal(
        source=DETECTION_SOURCE,
        source_kind=SourceKind.DETECTION,
        source_name=_("Security detection"),
        action=SignalAction.TRIGGER,
        dedup_key=detection_dedup_key(event.fingerprint),
        summary=clip_summary(summary),
        severity=detection_severity(policy, level=event.rule_level),
        category=category,
        service_id=clip(event.service_id, 64) if event.service_id else None,
        group=clip(f"rule:{event.rule_id}", 200),
        is_drill=event.is_drill,
        occurred_at=event.occurred_at,
        details=bounded_details(
            {
                "alert_id": event.alert_id,
                "rule_id": event.rule_id,
                "rule_title": event.rule_title,
                "rule_level": event.rule_level,
                # The Detection Rule License: the author is shown wherever a match is.
                "rule_author": event.rule_author,
                "rule_license": event.rule_license,
                "source": event.source,
                "source_address": event.source_address,
                "matched_fields": event.matched_fields,
                "events": list(event.events),
                # A drill's detection: its run and whether leaders may hear of it.
                **({"drill": event.drill} if event.drill is not None else {}),
            }
        ),
    )
