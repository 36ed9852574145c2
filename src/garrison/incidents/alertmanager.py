"""Prometheus Alertmanager's webhook (payload version 4): firing and resolved alerts.

Each alert is deduplicated by its ``fingerprint`` (or, if an old sender leaves it out,
by the SHA-256 of its labels); ``firing`` triggers and ``resolved`` resolves. Alerts
of one notification group share a group value: Alertmanager's ``groupKey``, or the
label named by ``incidents.grouping.alertmanager_label``.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from garrison.config.incidents import IncidentsConfig
from garrison.incidents.models import Integration
from garrison.incidents.policy import alertmanager_severity
from garrison.incidents.signals import (
    IncomingSignal,
    SignalAction,
    SourceKind,
    bounded_details,
    clip,
    clip_key,
    clip_summary,
)
from garrison.incidents.vocabulary import Category, Severity

MAX_ALERTS = 1000
MAX_LABELS = 200

LabelName = Annotated[str, StringConstraints(max_length=200)]
LabelValue = Annotated[str, StringConstraints(max_length=16_384)]
Labels = Annotated[dict[LabelName, LabelValue], Field(max_length=MAX_LABELS)]
DRILL_VALUES = frozenset({"true", "yes", "1"})


class _Payload(BaseModel):
    # Alertmanager may add fields in a later version: ignore what we do not know.
    model_config = ConfigDict(extra="ignore")


class AlertmanagerAlert(_Payload):
    status: Literal["firing", "resolved"]
    labels: Labels = Field(default_factory=dict)
    annotations: Labels = Field(default_factory=dict)
    startsAt: datetime | None = None
    endsAt: datetime | None = None
    generatorURL: str = Field(default="", max_length=4096)
    fingerprint: str = Field(default="", max_length=255)


class AlertmanagerWebhook(_Payload):
    """The body Alertmanager posts to a ``webhook_configs`` receiver."""

    version: Literal["4"]
    groupKey: str = Field(default="", max_length=16_384)
    truncatedAlerts: int = Field(default=0, ge=0)
    status: Literal["firing", "resolved"]
    receiver: str = Field(default="", max_length=1000)
    groupLabels: Labels = Field(default_factory=dict)
    commonLabels: Labels = Field(default_factory=dict)
    commonAnnotations: Labels = Field(default_factory=dict)
    externalURL: str = Field(default="", max_length=4096)
    alerts: list[AlertmanagerAlert] = Field(max_length=MAX_ALERTS)


def _fingerprint(alert: AlertmanagerAlert) -> str:
    if alert.fingerprint:
        return alert.fingerprint
    encoded = json.dumps(alert.labels, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(encoded).hexdigest()[:16]


def _summary(alert: AlertmanagerAlert) -> str:
    for name in ("summary", "title", "description", "message"):
        text = alert.annotations.get(name, "").strip()
        if text:
            return text
    name = alert.labels.get("alertname", "alert")
    instance = alert.labels.get("instance")
    return f"{name} on {instance}" if instance else name


def _category(labels: dict[str, str], default: Category) -> Category:
    try:
        return Category(labels.get("category", ""))
    except ValueError:
        return default


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None or moment.year <= 1:
        return None  # Alertmanager's "zero time": not set
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def signals_from_alertmanager(
    webhook: AlertmanagerWebhook, *, integration: Integration, policy: IncidentsConfig
) -> list[IncomingSignal]:
    default_severity = Severity(integration.default_severity)
    default_category = Category(integration.default_category)
    group_label = policy.grouping.alertmanager_label
    signals = []
    for alert in webhook.alerts:
        labels = alert.labels
        group = labels.get(group_label) if group_label else webhook.groupKey
        fingerprint = _fingerprint(alert)
        signals.append(
            IncomingSignal(
                source=integration.source,
                source_kind=SourceKind.ALERTMANAGER,
                source_name=integration.name,
                action=SignalAction.TRIGGER if alert.status == "firing" else SignalAction.RESOLVE,
                dedup_key=clip_key(f"alertmanager:{fingerprint}"),
                summary=clip_summary(_summary(alert)),
                severity=alertmanager_severity(policy, labels=labels, default=default_severity),
                category=_category(labels, default_category),
                service_id=clip(labels["service"], 64) if labels.get("service") else None,
                site_id=clip(labels["site"], 64) if labels.get("site") else None,
                group=group or None,
                is_drill=labels.get("drill", "").strip().lower() in DRILL_VALUES,
                occurred_at=_aware(alert.startsAt),
                rate_limit_per_minute=integration.rate_limit_per_minute,
                details=bounded_details(
                    {
                        "fingerprint": fingerprint,
                        "status": alert.status,
                        "labels": labels,
                        "annotations": alert.annotations,
                        "starts_at": alert.startsAt,
                        "ends_at": alert.endsAt,
                        "generator_url": alert.generatorURL,
                        "receiver": webhook.receiver,
                        "group_key": webhook.groupKey,
                        "external_url": webhook.externalURL,
                    }
                ),
            )
        )
    return signals
