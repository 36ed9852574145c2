"""Load Sigma rules, correlations and filters from files into a :class:`RuleSet`.

Every document is parsed with pySigma and compiled on its own: a broken rule is
refused with its file, id and reason, and the others load. Correlations are resolved
against every rule loaded (from any file); filters attach to the rules they name (or
to every rule of their log source). Overrides from the configuration disable rules or
change their level; a disabled rule that a correlation needs still feeds it silently.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sigma.correlations import SigmaCorrelationRule
from sigma.filters import SigmaFilter
from sigma.rule import SigmaRule
from sigma.rule.base import SigmaRuleBase

from garrison.detection.records import LogSource
from garrison.detection.sigma.compiler import compile_detections
from garrison.detection.sigma.correlation_rules import compile_correlation
from garrison.detection.sigma.documents import (
    DocumentProblem,
    RuleDocument,
    read_documents,
    rule_files,
)
from garrison.detection.sigma.leaves import Predicate
from garrison.detection.sigma.metadata import rule_info
from garrison.detection.sigma.model import (
    CompiledCorrelation,
    CompiledFilter,
    CompiledRule,
    RuleOptions,
    RuleOverride,
    RuleRefusal,
    RuleSet,
)
from garrison.i18n import gettext as _

logger = logging.getLogger(__name__)

MAX_RULES = 50_000
MODIFIER_ALIASES = {"utf16le": "wide"}


@dataclass(slots=True)
class _Parsed:
    document: RuleDocument
    rule: SigmaRuleBase
    rule_id: str


@dataclass(slots=True)
class _Loading:
    options: RuleOptions
    ruleset: RuleSet = field(default_factory=RuleSet)
    rules: list[_Parsed] = field(default_factory=list)
    correlations: list[_Parsed] = field(default_factory=list)
    filters: list[_Parsed] = field(default_factory=list)
    seen_ids: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)

    def refuse(self, path: Path, rule_id: str | None, title: str | None, reason: str) -> None:
        self.ruleset.report.refused.append(RuleRefusal(str(path), rule_id, title, reason))


def load_rules(paths: Sequence[Path], options: RuleOptions | None = None) -> RuleSet:
    """Load every rule under ``paths``; problems go to ``ruleset.report.refused``."""
    loading = _Loading(options or RuleOptions())
    for item in rule_files(paths):
        if isinstance(item, DocumentProblem):
            loading.refuse(item.path, item.rule_id, None, item.reason)
            continue
        loading.ruleset.report.files += 1
        for document in read_documents(item):
            if isinstance(document, DocumentProblem):
                loading.refuse(document.path, document.rule_id, None, document.reason)
            else:
                _parse(loading, document)
    _compile_rules(loading)
    _apply_filters(loading)
    _compile_correlations(loading)
    _settle_emission(loading)
    _warn_unknown_overrides(loading)
    return loading.ruleset


def _parse(loading: _Loading, document: RuleDocument) -> None:
    data = document.data
    for section in ("detection", "filter"):
        if isinstance(data.get(section), dict):
            data = {**data, section: _aliased_modifiers(data[section])}
    try:
        parsed: SigmaRuleBase
        if "correlation" in data:
            parsed = SigmaCorrelationRule.from_dict(data)
        elif "filter" in data:
            parsed = SigmaFilter.from_dict(data)
        else:
            parsed = SigmaRule.from_dict(data)
    except Exception as exc:
        loading.refuse(document.path, document.declared_id, document.declared_title, _reason(exc))
        return
    rule_id = str(parsed.id) if parsed.id is not None else (parsed.name or "")
    if not rule_id:
        rule_id = f"{document.path.stem}#{document.index}"
    first = loading.seen_ids.get(rule_id)
    if first is not None:
        loading.refuse(
            document.path,
            rule_id,
            parsed.title,
            _("Duplicate rule id: already defined in %(path)s.") % {"path": first},
        )
        return
    total = len(loading.rules) + len(loading.correlations) + len(loading.filters)
    if total >= MAX_RULES:
        loading.refuse(
            document.path,
            rule_id,
            parsed.title,
            _("Too many rules (at most %(max)d).") % {"max": MAX_RULES},
        )
        return
    loading.seen_ids[rule_id] = str(document.path)
    if parsed.name:
        loading.names[parsed.name] = rule_id
    entry = _Parsed(document, parsed, rule_id)
    if isinstance(parsed, SigmaCorrelationRule):
        loading.correlations.append(entry)
    elif isinstance(parsed, SigmaFilter):
        loading.filters.append(entry)
    else:
        loading.rules.append(entry)


def _aliased_modifiers(node: Any) -> Any:
    """Spell modifiers the way pySigma knows them (the specification's ``utf16le`` is ``wide``)."""
    if isinstance(node, list):
        return [_aliased_modifiers(item) for item in node]
    if not isinstance(node, dict):
        return node
    renamed: dict[Any, Any] = {}
    for key, value in node.items():
        name = key
        if isinstance(key, str) and "|" in key:
            field_name, *modifiers = key.split("|")
            name = "|".join([field_name, *(MODIFIER_ALIASES.get(m, m) for m in modifiers)])
        renamed[name] = _aliased_modifiers(value)
    return renamed


def _compile_rules(loading: _Loading) -> None:
    for entry in loading.rules:
        rule = entry.rule
        assert isinstance(rule, SigmaRule)
        override = _override(loading.options, rule.name, entry.rule_id)
        info = rule_info(
            rule,
            rule_id=entry.rule_id,
            path=entry.document.path,
            level=override.level if override else None,
        )
        try:
            condition = compile_detections(
                rule.detection, placeholders=loading.options.placeholders
            )
        except Exception as exc:
            loading.refuse(entry.document.path, entry.rule_id, rule.title, _reason(exc))
            continue
        compiled = CompiledRule(
            info=info,
            logsource=_logsource(rule),
            predicate=condition.predicate,
            needle_options=condition.needle_options,
            leaves=condition.leaves,
            index=len(loading.ruleset.rules),
            emits=override.enabled if override else True,
            uses_keywords=condition.uses_keywords,
        )
        loading.ruleset.rules.append(compiled)
        loading.ruleset.report.loaded.append(info)
        if override is not None and not override.enabled:
            loading.ruleset.report.disabled.append(entry.rule_id)


def _apply_filters(loading: _Loading) -> None:
    compiled_filters: list[CompiledFilter] = []
    for entry in loading.filters:
        sigma_filter = entry.rule
        assert isinstance(sigma_filter, SigmaFilter)
        try:
            condition = compile_detections(
                sigma_filter.filter, placeholders=loading.options.placeholders
            )
        except Exception as exc:
            loading.refuse(entry.document.path, entry.rule_id, sigma_filter.title, _reason(exc))
            continue
        references = sigma_filter.filter.rules
        compiled_filters.append(
            CompiledFilter(
                id=entry.rule_id,
                logsource=_logsource(sigma_filter),
                rule_refs=None
                if isinstance(references, str)
                else tuple(loading.names.get(ref.reference, ref.reference) for ref in references),
                predicate=condition.predicate,
            )
        )
        loading.ruleset.report.filters += 1
    for compiled_filter in compiled_filters:
        for rule in loading.ruleset.rules:
            if _filter_applies(compiled_filter, rule):
                rule.predicate = _and_filter(rule.predicate, compiled_filter.predicate)
                rule.filtered_by = (*rule.filtered_by, compiled_filter.id)


def _filter_applies(compiled_filter: CompiledFilter, rule: CompiledRule) -> bool:
    wanted, actual = compiled_filter.logsource, rule.logsource
    for mine, theirs in (
        (wanted.product, actual.product),
        (wanted.service, actual.service),
        (wanted.category, actual.category),
    ):
        if mine is not None and mine != theirs:
            return False
    refs = compiled_filter.rule_refs
    return refs is None or rule.info.id in refs or (rule.info.name or "") in refs


def _and_filter(predicate: Predicate, keep: Predicate) -> Predicate:
    return lambda view: predicate(view) and keep(view)


def _compile_correlations(loading: _Loading) -> None:
    known = {rule.info.id for rule in loading.ruleset.rules}
    pending = list(loading.correlations)
    # Correlations may reference correlations: resolve in rounds until nothing moves.
    while pending:
        progressed = False
        still: list[_Parsed] = []
        for entry in pending:
            if _references_pending(entry, pending, loading):
                still.append(entry)
                continue
            progressed = True
            compiled = _compile_one_correlation(loading, entry, known)
            if compiled is not None:
                known.add(compiled.info.id)
        if not progressed:
            for entry in still:
                loading.refuse(
                    entry.document.path,
                    entry.rule_id,
                    entry.rule.title,
                    _("The correlation references itself through other correlations."),
                )
            return
        pending = still


def _references_pending(entry: _Parsed, pending: list[_Parsed], loading: _Loading) -> bool:
    rule = entry.rule
    assert isinstance(rule, SigmaCorrelationRule)
    waiting = {other.rule_id for other in pending if other is not entry}
    references = [ref.reference for ref in (rule.rules or [])]
    return any(loading.names.get(ref, ref) in waiting for ref in references)


def _compile_one_correlation(
    loading: _Loading, entry: _Parsed, known: set[str]
) -> CompiledCorrelation | None:
    rule = entry.rule
    assert isinstance(rule, SigmaCorrelationRule)
    override = _override(loading.options, rule.name, entry.rule_id)
    info = rule_info(
        rule,
        rule_id=entry.rule_id,
        path=entry.document.path,
        level=override.level if override else None,
    )

    def resolve(reference: str) -> str | None:
        rule_id = loading.names.get(reference, reference)
        return rule_id if rule_id in known else None

    try:
        compiled = compile_correlation(rule, info=info, resolve=resolve)
    except Exception as exc:
        loading.refuse(entry.document.path, entry.rule_id, rule.title, _reason(exc))
        return None
    if override is not None and not override.enabled:
        loading.ruleset.report.disabled.append(entry.rule_id)
        return None
    compiled = replace(compiled, index=len(loading.ruleset.correlations))
    loading.ruleset.correlations.append(compiled)
    loading.ruleset.report.loaded.append(info)
    return compiled


def _settle_emission(loading: _Loading) -> None:
    """Rules that only feed non-generating correlations stay quiet; unused disabled ones go."""
    generating: set[str] = set()
    silenced: set[str] = set()
    for correlation in loading.ruleset.correlations:
        target = generating if correlation.generate else silenced
        target.update(correlation.rule_ids)
    referenced = generating | silenced
    kept: list[CompiledRule] = []
    for rule in loading.ruleset.rules:
        rule_id = rule.info.id
        if rule_id in silenced and rule_id not in generating:
            rule.emits = False
        if not rule.emits and rule_id not in referenced:
            continue
        rule.index = len(kept)
        kept.append(rule)
    loading.ruleset.rules = kept


def _warn_unknown_overrides(loading: _Loading) -> None:
    known = set(loading.seen_ids) | set(loading.names)
    for key in loading.options.overrides:
        if key not in known:
            loading.ruleset.report.warnings.append(
                _("The override for %(rule)s names no loaded rule.") % {"rule": key}
            )


def _override(options: RuleOptions, name: str | None, rule_id: str) -> RuleOverride | None:
    overrides = options.overrides
    return overrides.get(rule_id) or (overrides.get(name) if name else None)


def _logsource(rule: SigmaRule | SigmaFilter) -> LogSource:
    source = rule.logsource

    def norm(value: str | None) -> str | None:
        return value.lower() if value else None

    return LogSource(
        product=norm(source.product), service=norm(source.service), category=norm(source.category)
    )


def _reason(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text[:500]
