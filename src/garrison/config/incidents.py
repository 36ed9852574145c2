"""The `incidents` section: integrations, grouping rules, severity mapping, classification.

Integration keys should come from the environment (``key: ${AM_KEY}``); only their
SHA-256 is stored. Everything here has a default, so the section may be left out.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, SecretStr, model_validator

from garrison.config.fields import Identifier, Name, Text
from garrison.config.models_base import FrozenModel
from garrison.i18n import gettext as _
from garrison.incidents.vocabulary import Category, Classification, Severity

MEBIBYTE = 1024 * 1024


class IntegrationKind(StrEnum):
    ALERTMANAGER = "alertmanager"
    PAGERDUTY = "pagerduty"
    WEBHOOK = "webhook"


class GroupingRule(StrEnum):
    DEPENDENCY_ROOT = "dependency_root"  # an UNREACHABLE service joins its cause's incident
    REDUNDANCY_GROUP = "redundancy_group"  # primary and backup of one group
    SERVICE = "service"
    SITE = "site"
    GROUP_LABEL = "group_label"  # Alertmanager group, PagerDuty payload.group, webhook group


class IntegrationConfig(FrozenModel):
    """An outside system that sends signals over HTTP with its own key."""

    id: Identifier
    name: Name
    kind: IntegrationKind
    key: SecretStr = Field(
        min_length=16,
        max_length=200,
        description="The integration's secret key, at least 16 characters; use ${VARIABLE}.",
    )
    default_severity: Severity = Severity.SEV3
    default_category: Category = Category.AVAILABILITY
    rate_limit_per_minute: int = Field(
        default=120,
        ge=1,
        le=100_000,
        description="Triggers per minute above which new alerts join one 'alert storm' incident.",
    )
    description: Text = ""


class BusSourceSettings(FrozenModel):
    rate_limit_per_minute: int = Field(default=600, ge=1, le=100_000)


class GroupingSettings(FrozenModel):
    rules: tuple[GroupingRule, ...] = Field(
        default=(
            GroupingRule.DEPENDENCY_ROOT,
            GroupingRule.REDUNDANCY_GROUP,
            GroupingRule.SERVICE,
            GroupingRule.GROUP_LABEL,
        ),
        description="What makes a new alert join an open incident.",
    )
    window_seconds: float = Field(
        default=1800,
        gt=0,
        le=7 * 86_400,
        description="A group label joins an incident only this soon after its last alert.",
    )
    alertmanager_label: str = Field(
        default="",
        max_length=100,
        description="Alertmanager label whose value is the group; empty: Alertmanager's groupKey.",
    )


class ServiceStateSeverity(FrozenModel):
    down: Severity
    degraded: Severity


class ServiceSeverities(FrozenModel):
    """Severity of a probe signal: the service's criticality and its state."""

    critical: ServiceStateSeverity = ServiceStateSeverity(
        down=Severity.SEV1, degraded=Severity.SEV3
    )
    high: ServiceStateSeverity = ServiceStateSeverity(down=Severity.SEV2, degraded=Severity.SEV3)
    normal: ServiceStateSeverity = ServiceStateSeverity(down=Severity.SEV3, degraded=Severity.SEV4)


class DetectionSeverities(FrozenModel):
    """Severity of a detection alert by its rule level."""

    critical: Severity = Severity.SEV1
    high: Severity = Severity.SEV2
    medium: Severity = Severity.SEV3
    low: Severity = Severity.SEV4
    informational: Severity = Severity.SEV4


class PagerDutySeverities(FrozenModel):
    critical: Severity = Severity.SEV1
    error: Severity = Severity.SEV2
    warning: Severity = Severity.SEV3
    info: Severity = Severity.SEV4


def _default_alertmanager_severities() -> dict[str, Severity]:
    return {
        "critical": Severity.SEV1,
        "page": Severity.SEV1,
        "error": Severity.SEV2,
        "major": Severity.SEV2,
        "warning": Severity.SEV3,
        "minor": Severity.SEV3,
        "info": Severity.SEV4,
        "none": Severity.SEV4,
    }


class SeverityMapping(FrozenModel):
    services: ServiceSeverities = ServiceSeverities()
    detection: DetectionSeverities = DetectionSeverities()
    pagerduty: PagerDutySeverities = PagerDutySeverities()
    alertmanager_label: str = Field(default="severity", min_length=1, max_length=100)
    alertmanager: dict[str, Severity] = Field(
        default_factory=_default_alertmanager_severities,
        description="Value of the Alertmanager severity label -> severity; others: the default.",
    )


class ClassificationSettings(FrozenModel):
    default: Classification = Classification.INTERNAL
    security: Classification = Field(
        default=Classification.INTERNAL,
        description="Classification of incidents opened in a security category.",
    )
    security_units: tuple[Identifier, ...] = Field(
        default=(), description="Units listed (need-to-know) on every security incident."
    )


class IncidentsConfig(FrozenModel):
    integrations: tuple[IntegrationConfig, ...] = ()
    probes: BusSourceSettings = BusSourceSettings()
    detection: BusSourceSettings = BusSourceSettings(rate_limit_per_minute=120)
    grouping: GroupingSettings = GroupingSettings()
    severity: SeverityMapping = SeverityMapping()
    classification: ClassificationSettings = ClassificationSettings()
    storm_severity: Severity = Severity.SEV2
    auto_resolve: bool = Field(
        default=True, description="Resolve an open incident when its last firing alert resolves."
    )
    max_attachment_bytes: int = Field(default=10 * MEBIBYTE, ge=1024, le=100 * MEBIBYTE)

    @model_validator(mode="after")
    def _integrations_distinct(self) -> IncidentsConfig:
        ids = [integration.id for integration in self.integrations]
        duplicates = sorted({found for found in ids if ids.count(found) > 1})
        if duplicates:
            raise ValueError(
                _("integration ids must be unique: {ids}").format(ids=", ".join(duplicates))
            )
        keys = [integration.key.get_secret_value() for integration in self.integrations]
        if len(set(keys)) != len(keys):
            # Never name the key: it is a secret.
            raise ValueError(_("two integrations have the same key; give each its own"))
        return self
