"""The one place the console turns incident words into translated labels.

Filters and badges on the incident pages take their labels from here; the lazy
labels of ``garrison.incidents.vocabulary`` are resolved in the request's language.
"""

from __future__ import annotations

from garrison.i18n import gettext as _
from garrison.incidents.vocabulary import (
    CATEGORY_LABELS,
    CLASSIFICATION_LABELS,
    STATUS_LABELS,
    Category,
    Classification,
    IncidentStatus,
    Severity,
)

OPEN = "open"


def incident_labels() -> dict[str, dict[str, str]]:
    """``{"state"|"severity"|"category"|"classification": {value: label}}``, in order."""
    severity = {
        Severity.SEV1.value: _("SEV1"),
        Severity.SEV2.value: _("SEV2"),
        Severity.SEV3.value: _("SEV3"),
        Severity.SEV4.value: _("SEV4"),
    }
    return {
        "state": {
            OPEN: _("Open"),
            **{status.value: str(STATUS_LABELS[status]) for status in IncidentStatus},
        },
        "severity": severity,
        "category": {category.value: str(CATEGORY_LABELS[category]) for category in Category},
        "classification": {
            classification.value: str(CLASSIFICATION_LABELS[classification])
            for classification in Classification
        },
    }
