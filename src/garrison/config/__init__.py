"""Configuration as code: one YAML file (with includes) describes the event.

Use :func:`load_config` to read and check a file; it returns a
:class:`LoadedConfig` or raises :class:`ConfigValidationError` listing every
issue with its file, line and field path.
"""

from garrison.config.consistency import Inconsistency, find_inconsistencies
from garrison.config.errors import ConfigIssue, ConfigValidationError
from garrison.config.includes import MAX_FILE_BYTES, MAX_FILES, MAX_INCLUDE_DEPTH
from garrison.config.loader import LoadedConfig, load_config
from garrison.config.models import (
    Contacts,
    Criticality,
    EventConfig,
    EventSection,
    Organisation,
    Person,
    Phase,
    PhaseId,
    Post,
    Redundancy,
    RedundancyRole,
    Service,
    ServiceKind,
    Site,
    Unit,
)
from garrison.config.schema import event_config_json_schema
from garrison.config.summary import summarize

__all__ = [
    "MAX_FILES",
    "MAX_FILE_BYTES",
    "MAX_INCLUDE_DEPTH",
    "ConfigIssue",
    "ConfigValidationError",
    "Contacts",
    "Criticality",
    "EventConfig",
    "EventSection",
    "Inconsistency",
    "LoadedConfig",
    "Organisation",
    "Person",
    "Phase",
    "PhaseId",
    "Post",
    "Redundancy",
    "RedundancyRole",
    "Service",
    "ServiceKind",
    "Site",
    "Unit",
    "event_config_json_schema",
    "find_inconsistencies",
    "load_config",
    "summarize",
]
