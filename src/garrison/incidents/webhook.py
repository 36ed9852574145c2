"""The generic JSON webhook: any script can trigger, acknowledge and resolve an alert.

The schema is documented in docs/incidents.md; unknown fields are refused so that a
misspelt field is an error, not silently ignored.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from garrison.config.incidents import IncidentsConfig
from garrison.incidents.models import Integration
from garrison.incidents.policy import pagerduty_severity
from garrison.incidents.signals import (
    IncomingSignal,
    SignalAction,
    SourceKind,
    bounded_details,
    clip_key,
    clip_summary,
)
from garrison.incidents.vocabulary import Category, Severity

WORD_SEVERITIES = ("critical", "error", "warning", "info")


class WebhookLink(BaseModel):
    model_config = ConfigDict(extra="forbid")

    href: str = Field(min_length=1, max_length=4096)
    text: str = Field(default="", max_length=1024)


class WebhookSignal(BaseModel):
    """One signal for ``POST /api/v1/integrations/webhook``."""

    model_config = ConfigDict(extra="forbid")

    action: Literal["trigger", "acknowledge", "resolve"] = "trigger"
    key: str = Field(
        min_length=1, max_length=255, description="Deduplication key: the same key, the same alert."
    )
    summary: str | None = Field(
        default=None, max_length=1024, description="Required to trigger: what is wrong."
    )
    severity: Literal["sev1", "sev2", "sev3", "sev4", "critical", "error", "warning", "info"] | (
        None
    ) = Field(default=None, description="Default: the integration's default severity.")
    category: Category | None = None
    service: str | None = Field(
        default=None, max_length=64, description="Id of the affected service, if it has one."
    )
    site: str | None = Field(default=None, max_length=64)
    group: str | None = Field(
        default=None, max_length=200, description="Alerts with the same group join one incident."
    )
    source: str | None = Field(default=None, max_length=200, description="What sent it.")
    occurred_at: AwareDatetime | None = None
    details: dict[str, Any] = Field(default_factory=dict)
    links: list[WebhookLink] = Field(default_factory=list, max_length=20)
    is_drill: bool = Field(default=False, description="Part of a drill: kept apart from real ones.")

    @model_validator(mode="after")
    def _summary_to_trigger(self) -> WebhookSignal:
        if self.action == "trigger" and not (self.summary or "").strip():
            raise ValueError("summary is required to trigger")
        return self


def _severity(value: str | None, *, integration: Integration, policy: IncidentsConfig) -> Severity:
    if value is None:
        return Severity(integration.default_severity)
    if value in WORD_SEVERITIES:
        return pagerduty_severity(policy, severity=value)
    return Severity(value)


def signal_from_webhook(
    body: WebhookSignal, *, integration: Integration, policy: IncidentsConfig
) -> IncomingSignal:
    occurred_at: datetime | None = body.occurred_at
    return IncomingSignal(
        source=integration.source,
        source_kind=SourceKind.WEBHOOK,
        source_name=integration.name,
        action=SignalAction(body.action),
        dedup_key=clip_key(f"webhook:{body.key}"),
        summary=clip_summary(body.summary or body.key),
        severity=_severity(body.severity, integration=integration, policy=policy),
        category=body.category or Category(integration.default_category),
        service_id=body.service,
        site_id=body.site,
        group=body.group,
        is_drill=body.is_drill,
        occurred_at=occurred_at,
        rate_limit_per_minute=integration.rate_limit_per_minute,
        details=bounded_details(
            {
                "key": body.key,
                "source": body.source,
                "details": body.details,
                "links": [link.model_dump() for link in body.links],
            }
        ),
    )
