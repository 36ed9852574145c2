"""The rule engine's keys of the ``detection`` section: rules, tuning, threat intelligence.

Paths that are not absolute are read relative to the configuration file's folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from garrison.config.fields import Identifier
from garrison.config.models_base import FrozenModel

RuleLevel = Literal["informational", "low", "medium", "high", "critical"]
RuleKey = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
PlaceholderName = Annotated[
    str, StringConstraints(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")
]
PlaceholderValue = Annotated[str, StringConstraints(max_length=1000)]
MAX_RULE_PATHS = 100
MAX_OVERRIDES = 10_000
MAX_PLACEHOLDERS = 1_000
MAX_PLACEHOLDER_VALUES = 1_000
MAX_INTEL_LISTS = 100


class RuleOverrideSettings(FrozenModel):
    """Local tuning of one rule (by id or name)."""

    enabled: bool = True
    level: RuleLevel | None = Field(default=None, description="Replaces the rule's level.")


class ThreatIntelList(FrozenModel):
    """A list of indicators: IP addresses, CIDR ranges, domains, URLs, file hashes."""

    name: Identifier
    path: Path
    format: Literal["auto", "text", "csv"] = "auto"
    column: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = Field(
        default=None, description="CSV column holding the indicator (default: the first)."
    )
    level: RuleLevel = "high"
    author: Annotated[str, StringConstraints(min_length=1, max_length=200)] = Field(
        default="Garrison", description="Who maintains the list (shown with every match)."
    )
    license: Annotated[str, StringConstraints(min_length=1, max_length=200)] = Field(
        default="LicenseRef-Garrison", description="Terms the list is used under."
    )
    reload_seconds: float = Field(
        default=30.0, ge=1.0, le=86_400.0, description="How often the file is checked for changes."
    )


class DetectorSettings(FrozenModel):
    """Our own detectors, and how alerts are deduplicated."""

    builtin_rules: bool = Field(default=True, description="Load Garrison's own rule pack.")
    admin_accounts: tuple[Annotated[str, StringConstraints(min_length=1, max_length=200)], ...] = (
        Field(
            default=("root", "admin", "administrator"),
            max_length=1000,
            description="Accounts whose logins from a new address raise an alert.",
        )
    )
    surge_factor: float = Field(
        default=5.0, ge=1.5, le=1000.0, description="Requests per minute over the baseline."
    )
    surge_min_site_requests: int = Field(
        default=600, ge=1, le=100_000_000, description="A site's minute never alerts below this."
    )
    surge_min_source_requests: int = Field(
        default=300, ge=1, le=100_000_000, description="A source's minute never alerts below this."
    )
    dedup_window_seconds: int = Field(
        default=600, ge=0, le=86_400, description="Repeats within this window are counted."
    )


# The field types of the rule engine's keys in ``DetectionSettings``.
RulePaths = Annotated[
    tuple[Path, ...],
    Field(max_length=MAX_RULE_PATHS, description="Files or folders of Sigma rules."),
]
RuleOverrides = Annotated[
    dict[RuleKey, RuleOverrideSettings],
    Field(
        max_length=MAX_OVERRIDES, description="Per-rule enable/disable and level, by id or name."
    ),
]
Placeholders = Annotated[
    dict[
        PlaceholderName,
        Annotated[tuple[PlaceholderValue, ...], Field(max_length=MAX_PLACEHOLDER_VALUES)],
    ],
    Field(
        max_length=MAX_PLACEHOLDERS,
        description="Values of %name% placeholders (the Sigma expand modifier).",
    ),
]
ThreatIntelLists = Annotated[tuple[ThreatIntelList, ...], Field(max_length=MAX_INTEL_LISTS)]
