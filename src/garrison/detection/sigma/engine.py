"""The Sigma engine: route an event, prefilter, run compiled rules, feed correlations."""

from __future__ import annotations

from dataclasses import dataclass

from garrison.detection.findings import Finding, FindingKind, event_time, source_address_of
from garrison.detection.records import LogEvent
from garrison.detection.sigma.correlation import (
    DEFAULT_MAX_EVENTS,
    DEFAULT_MAX_GROUPS,
    CorrelationState,
    Hit,
    chained_view,
)
from garrison.detection.sigma.model import CompiledRule, RuleSet
from garrison.detection.sigma.routing import Router
from garrison.detection.sigma.view import EventView

MAX_CHAIN_DEPTH = 5


@dataclass(slots=True)
class EngineStats:
    events: int = 0
    candidates: int = 0
    rule_matches: int = 0
    findings: int = 0


class SigmaEngine:
    def __init__(
        self,
        ruleset: RuleSet,
        *,
        prefilter: bool = True,
        max_groups: int = DEFAULT_MAX_GROUPS,
        max_events: int = DEFAULT_MAX_EVENTS,
    ) -> None:
        self.ruleset = ruleset
        self.router = Router(ruleset.rules, prefilter=prefilter)
        self.stats = EngineStats()
        self._correlations: dict[str, list[CorrelationState]] = {}
        silenced: set[str] = set()
        for correlation in ruleset.correlations:
            state = CorrelationState(correlation, max_groups=max_groups, max_events=max_events)
            for rule_id in dict.fromkeys(correlation.rule_ids):
                self._correlations.setdefault(rule_id, []).append(state)
            if not correlation.generate:
                silenced.update(correlation.rule_ids)
        generated = {rule_id for c in ruleset.correlations if c.generate for rule_id in c.rule_ids}
        self._silent_correlations = silenced - generated

    def evaluate(self, event: LogEvent, *, seq: int) -> list[Finding]:
        """Every finding this event causes (rule matches and correlations that fire)."""
        stats = self.stats
        stats.events += 1
        index = self.router.index_for(event)
        if not index.rules:
            return []
        view = EventView(event.fields, event.raw)
        candidates = index.candidates(view)
        stats.candidates += len(candidates)
        findings: list[Finding] = []
        for rule in candidates:
            if rule.predicate(view):
                stats.rule_matches += 1
                self._matched(rule, view, event, seq, findings)
        stats.findings += len(findings)
        return findings

    def _matched(
        self, rule: CompiledRule, view: EventView, event: LogEvent, seq: int, out: list[Finding]
    ) -> None:
        moment = event_time(event)
        if rule.emits:
            matched = rule.matched_fields(view)
            address = source_address_of(event.fields)
            out.append(
                Finding(
                    rule=rule.info,
                    kind=FindingKind.RULE,
                    at=moment,
                    events=(event,),
                    event_seqs=(seq,),
                    matched_fields=matched,
                    group=(("source_address", address or ""), ("host", event.host or "")),
                    summary=rule.info.title,
                    source_address=address,
                )
            )
        states = self._correlations.get(rule.info.id)
        if states:
            hit = Hit(moment.timestamp(), moment, seq, event, rule.info.id)
            self._feed(states, hit, view, out, depth=0)

    def _feed(
        self,
        states: list[CorrelationState],
        hit: Hit,
        view: EventView,
        out: list[Finding],
        *,
        depth: int,
    ) -> None:
        for state in states:
            finding = state.observe(hit, view)
            if finding is None:
                continue
            correlation_id = finding.rule.id
            if correlation_id not in self._silent_correlations:
                out.append(finding)
            chained = self._correlations.get(correlation_id)
            if chained and depth < MAX_CHAIN_DEPTH:
                chained_hit = Hit(hit.at, hit.moment, hit.seq, hit.event, correlation_id)
                self._feed(chained, chained_hit, chained_view(finding), out, depth=depth + 1)

    @property
    def correlation_groups(self) -> int:
        """Groups held in memory across every correlation (bounded)."""
        states = {id(s): s for group in self._correlations.values() for s in group}
        return sum(len(state.groups) for state in states.values())
