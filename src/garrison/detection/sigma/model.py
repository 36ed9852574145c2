"""Compiled rules, correlations and the load report: what the loader hands the engine."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from garrison.detection.findings import RuleInfo
from garrison.detection.records import LogSource
from garrison.detection.sigma.leaves import Leaf, Predicate
from garrison.detection.sigma.view import EventView

MAX_MATCHED_VALUE_CHARS = 500


@dataclass(frozen=True, slots=True)
class RuleOverride:
    enabled: bool = True
    level: str | None = None


@dataclass(frozen=True, slots=True)
class RuleOptions:
    """Local tuning from the configuration: overrides by rule id or name, placeholders."""

    overrides: Mapping[str, RuleOverride] = field(default_factory=dict)
    placeholders: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(slots=True)
class CompiledRule:
    info: RuleInfo
    logsource: LogSource
    predicate: Predicate
    # Sets of lowered literals; when the rule matches, some literal of each set occurs.
    needle_options: tuple[frozenset[str], ...]
    leaves: tuple[Leaf, ...]
    index: int = 0
    # False when the rule only feeds correlations that do not "generate" its own matches.
    emits: bool = True
    filtered_by: tuple[str, ...] = ()
    uses_keywords: bool = False

    def matched_fields(self, view: EventView) -> dict[str, object]:
        """The fields whose conditions hold (why the rule matched)."""
        matched: dict[str, object] = {}
        for leaf in self.leaves:
            if not leaf.predicate(view):
                continue
            if leaf.field is None:
                matched.setdefault(
                    "keywords", view.keyword_text(cased=True)[:MAX_MATCHED_VALUE_CHARS]
                )
            else:
                matched[leaf.field] = _bounded(view.value(leaf.field))
        return matched


def _bounded(value: object) -> object:
    if isinstance(value, str) and len(value) > MAX_MATCHED_VALUE_CHARS:
        return value[:MAX_MATCHED_VALUE_CHARS] + "…"
    if isinstance(value, list | tuple):
        return [_bounded(item) for item in value[:20]]
    return value


@dataclass(frozen=True, slots=True)
class CompiledFilter:
    """A Sigma filter: rules of its log source (or those it names) match only if it holds."""

    id: str
    logsource: LogSource
    rule_refs: tuple[str, ...] | None  # None: every rule of the log source
    predicate: Predicate


class CorrelationType(StrEnum):
    EVENT_COUNT = "event_count"
    VALUE_COUNT = "value_count"
    TEMPORAL = "temporal"
    TEMPORAL_ORDERED = "temporal_ordered"


class Comparison(StrEnum):
    LT = "lt"
    LTE = "lte"
    GT = "gt"
    GTE = "gte"
    EQ = "eq"
    NEQ = "neq"

    def holds(self, value: float, limit: float) -> bool:
        return {
            Comparison.LT: value < limit,
            Comparison.LTE: value <= limit,
            Comparison.GT: value > limit,
            Comparison.GTE: value >= limit,
            Comparison.EQ: value == limit,
            Comparison.NEQ: value != limit,
        }[self]


@dataclass(frozen=True, slots=True)
class ExtendedCondition:
    """A boolean expression over rule ids, e.g. ``rule_a and not rule_b``."""

    holds: Callable[[frozenset[str]], bool]
    referenced: frozenset[str]


@dataclass(frozen=True, slots=True)
class CompiledCorrelation:
    info: RuleInfo
    type: CorrelationType
    rule_ids: tuple[str, ...]  # resolved ids, in the order the rule lists them
    timespan_seconds: float
    group_by: tuple[str, ...]
    # alias -> referenced rule id -> the field carrying it in that rule's events
    aliases: Mapping[str, Mapping[str, str]]
    comparison: Comparison
    count: float
    value_field: str | None = None
    # temporal with an extended condition: which sets of rules seen make it hold.
    extended: ExtendedCondition | None = None
    generate: bool = False
    index: int = 0

    def group_field(self, name: str, rule_id: str) -> str:
        mapping = self.aliases.get(name)
        if mapping is None:
            return name
        return mapping.get(rule_id, name)


@dataclass(frozen=True, slots=True)
class RuleRefusal:
    path: str
    rule_id: str | None
    title: str | None
    reason: str


@dataclass(slots=True)
class LoadReport:
    files: int = 0
    loaded: list[RuleInfo] = field(default_factory=list)
    refused: list[RuleRefusal] = field(default_factory=list)
    disabled: list[str] = field(default_factory=list)
    filters: int = 0
    warnings: list[str] = field(default_factory=list)


@dataclass(slots=True)
class RuleSet:
    rules: list[CompiledRule] = field(default_factory=list)
    correlations: list[CompiledCorrelation] = field(default_factory=list)
    report: LoadReport = field(default_factory=LoadReport)
