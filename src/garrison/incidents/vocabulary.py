"""The words incidents are described with: severity, category, classification, states.

Imported by the configuration (``garrison.config.incidents``) as well, so this
module depends on nothing of Garrison but i18n.
"""

from __future__ import annotations

from enum import StrEnum

from garrison.i18n import lazy_gettext as _l
from garrison.i18n.translations import LazyString


class Severity(StrEnum):
    """SEV1 is the worst: impact by urgency, SEV1 (critical) to SEV4 (low)."""

    SEV1 = "sev1"
    SEV2 = "sev2"
    SEV3 = "sev3"
    SEV4 = "sev4"

    @property
    def rank(self) -> int:
        """1 for SEV1 … 4 for SEV4: lower is more severe."""
        return int(self.value[-1])

    def is_worse_than(self, other: Severity) -> bool:
        return self.rank < other.rank


class Category(StrEnum):
    AVAILABILITY = "availability"
    PERFORMANCE = "performance"
    # The security categories used by national incident coordination.
    DENIAL_OF_SERVICE = "denial_of_service"
    SPOOFING = "spoofing"
    MALWARE = "malware"
    UNAUTHORISED_ACCESS = "unauthorised_access"
    DEFACEMENT = "defacement"
    RANSOMWARE = "ransomware"
    DATA_DESTRUCTION = "data_destruction"
    DATA_THEFT = "data_theft"
    COMBINED = "combined"
    OTHER = "other"

    @property
    def is_security(self) -> bool:
        return self not in {Category.AVAILABILITY, Category.PERFORMANCE, Category.OTHER}


class Classification(StrEnum):
    PUBLIC = "public"
    INTERNAL = "internal"
    CONFIDENTIAL = "confidential"
    SECRET = "secret"  # noqa: S105 - a classification level, not a secret

    @property
    def rank(self) -> int:
        return list(Classification).index(self)

    @property
    def needs_to_know(self) -> bool:
        """Visible only to the people and units listed on the incident (and to leaders)."""
        return self in {Classification.CONFIDENTIAL, Classification.SECRET}


class IncidentStatus(StrEnum):
    TRIGGERED = "triggered"
    ACKNOWLEDGED = "acknowledged"
    MITIGATED = "mitigated"
    RESOLVED = "resolved"
    CLOSED = "closed"

    @property
    def is_open(self) -> bool:
        return self in OPEN_STATUSES


OPEN_STATUSES = frozenset(
    {IncidentStatus.TRIGGERED, IncidentStatus.ACKNOWLEDGED, IncidentStatus.MITIGATED}
)

SEVERITY_LABELS: dict[Severity, LazyString] = {
    Severity.SEV1: _l("SEV1: critical"),
    Severity.SEV2: _l("SEV2: major"),
    Severity.SEV3: _l("SEV3: minor"),
    Severity.SEV4: _l("SEV4: low"),
}

CATEGORY_LABELS: dict[Category, LazyString] = {
    Category.AVAILABILITY: _l("Availability"),
    Category.PERFORMANCE: _l("Performance"),
    Category.DENIAL_OF_SERVICE: _l("Denial of service"),
    Category.SPOOFING: _l("Spoofing or phishing"),
    Category.MALWARE: _l("Malware"),
    Category.UNAUTHORISED_ACCESS: _l("Unauthorised access or takeover"),
    Category.DEFACEMENT: _l("Defacement"),
    Category.RANSOMWARE: _l("Ransomware or encryption"),
    Category.DATA_DESTRUCTION: _l("Destruction of data"),
    Category.DATA_THEFT: _l("Eavesdropping or theft of data"),
    Category.COMBINED: _l("Combined attack"),
    Category.OTHER: _l("Other"),
}

CLASSIFICATION_LABELS: dict[Classification, LazyString] = {
    Classification.PUBLIC: _l("Public"),
    Classification.INTERNAL: _l("Internal"),
    Classification.CONFIDENTIAL: _l("Confidential"),
    Classification.SECRET: _l("Secret"),
}

STATUS_LABELS: dict[IncidentStatus, LazyString] = {
    IncidentStatus.TRIGGERED: _l("Triggered"),
    IncidentStatus.ACKNOWLEDGED: _l("Acknowledged"),
    IncidentStatus.MITIGATED: _l("Mitigated"),
    IncidentStatus.RESOLVED: _l("Resolved"),
    IncidentStatus.CLOSED: _l("Closed"),
}
