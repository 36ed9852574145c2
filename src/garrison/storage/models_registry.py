"""Imports every domain's tables so that the metadata is complete (for migrations checks)."""

from __future__ import annotations

import importlib

from sqlalchemy import MetaData

from garrison.storage.base import Base

MODEL_MODULES = (
    "garrison.event.models",
    "garrison.auth.models",
    "garrison.audit.models",
    "garrison.detection.ingest.models",
    "garrison.detection.alerts.models",
    "garrison.duty.models",
    "garrison.incidents.models",
    "garrison.probes.models",
    "garrison.escalation.models",
    "garrison.notify.models",
    "garrison.directives.models",
    "garrison.readiness.models",
    "garrison.drills.models",
    "garrison.reports.models",
)


def metadata() -> MetaData:
    for module in MODEL_MODULES:
        importlib.import_module(module)
    return Base.metadata
