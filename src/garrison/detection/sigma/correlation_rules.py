"""pySigma correlation rules → :class:`CompiledCorrelation` (references resolved to rule ids)."""

from __future__ import annotations

from collections.abc import Callable

from sigma.correlations import (
    CorrelationConditionAND,
    CorrelationConditionItem,
    CorrelationConditionNOT,
    CorrelationConditionOR,
    SigmaCorrelationCondition,
    SigmaCorrelationRule,
    SigmaExtendedCorrelationCondition,
    SigmaRuleReference,
)

from garrison.detection.findings import RuleInfo
from garrison.detection.sigma.model import (
    Comparison,
    CompiledCorrelation,
    CorrelationType,
    ExtendedCondition,
)

SUPPORTED_TYPES = {item.value for item in CorrelationType}


class CorrelationProblem(ValueError):
    pass


Resolver = Callable[[str], str | None]


def compile_correlation(
    rule: SigmaCorrelationRule, *, info: RuleInfo, resolve: Resolver
) -> CompiledCorrelation:
    """Build the correlation; ``resolve`` maps a reference (id or name) to a loaded rule id."""
    kind = str(rule.type.name).lower()
    if kind not in SUPPORTED_TYPES:
        raise CorrelationProblem(f"correlation type {kind} is not supported")
    correlation_type = CorrelationType(kind)
    references = [ref.reference for ref in (rule.rules or [])]
    extended: ExtendedCondition | None = None
    condition = rule.condition
    if isinstance(condition, SigmaExtendedCorrelationCondition):
        if correlation_type is not CorrelationType.TEMPORAL:
            raise CorrelationProblem(
                "extended conditions are supported for temporal correlations only"
            )
        if not references:
            references = condition.get_referenced_rules()
        extended = _extended(condition, resolve)
        comparison, count = Comparison.GTE, 1.0
        value_field = None
    else:
        comparison, count, value_field = _simple_condition(condition, len(references))
    rule_ids = tuple(_resolve_all(references, resolve))
    if not rule_ids:
        raise CorrelationProblem("a correlation must reference at least one rule")
    aliases: dict[str, dict[str, str]] = {}
    for alias in rule.aliases:
        mapping: dict[str, str] = {}
        for reference, field_name in alias.mapping.items():
            resolved = resolve(reference.reference)
            if resolved is None:
                raise CorrelationProblem(
                    f"alias {alias.alias} names rule {reference.reference}, which is not loaded"
                )
            mapping[resolved] = field_name
        aliases[alias.alias] = mapping
    if correlation_type is CorrelationType.VALUE_COUNT and not value_field:
        raise CorrelationProblem("a value_count correlation needs a condition field")
    return CompiledCorrelation(
        info=info,
        type=correlation_type,
        rule_ids=rule_ids,
        timespan_seconds=float(rule.timespan.seconds),
        group_by=tuple(rule.group_by or ()),
        aliases=aliases,
        comparison=comparison,
        count=count,
        value_field=value_field,
        extended=extended,
        generate=bool(rule.generate),
    )


def _simple_condition(
    condition: SigmaCorrelationCondition, rule_count: int
) -> tuple[Comparison, float, str | None]:
    comparison = Comparison(str(condition.op.name).lower())
    field_ref = condition.fieldref
    if isinstance(field_ref, list):
        if len(field_ref) != 1:
            raise CorrelationProblem("a condition over several fields is not supported")
        field_ref = field_ref[0]
    return comparison, float(condition.count or rule_count), field_ref


def _resolve_all(references: list[str], resolve: Resolver) -> list[str]:
    resolved: list[str] = []
    for reference in references:
        rule_id = resolve(reference)
        if rule_id is None:
            raise CorrelationProblem(f"it references rule {reference}, which is not loaded")
        resolved.append(rule_id)
    return resolved


def _extended(condition: SigmaExtendedCorrelationCondition, resolve: Resolver) -> ExtendedCondition:
    referenced = frozenset(_resolve_all(condition.get_referenced_rules(), resolve))

    def build(
        node: CorrelationConditionItem | SigmaRuleReference,
    ) -> Callable[[frozenset[str]], bool]:
        if isinstance(node, SigmaRuleReference):
            rule_id = resolve(node.reference)
            return lambda seen: rule_id in seen
        parts = [build(arg) for arg in node.args]
        if isinstance(node, CorrelationConditionNOT):
            (inner,) = parts
            return lambda seen: not inner(seen)
        if isinstance(node, CorrelationConditionAND):
            return lambda seen: all(part(seen) for part in parts)
        if isinstance(node, CorrelationConditionOR):
            return lambda seen: any(part(seen) for part in parts)
        raise CorrelationProblem(f"unknown condition element {type(node).__name__}")

    return ExtendedCondition(holds=build(condition.parsed), referenced=referenced)
