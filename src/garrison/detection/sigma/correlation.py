"""Sigma correlations evaluated on the stream: sliding windows per group, bounded memory.

Each correlation keeps one small state per group (the values of its ``group-by``
fields, aliases resolved per referenced rule). Windows slide on event time. A group
that fires is reset, so a sustained attack raises again only after a fresh window fills
(and deduplication counts the repeats). At most ``max_groups`` groups are kept per
correlation: the group touched longest ago is evicted first; a group keeps at most
``max_events`` hits.
"""

from __future__ import annotations

import collections
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from garrison.detection.findings import Finding, FindingKind, source_address_of
from garrison.detection.records import LogEvent
from garrison.detection.sigma.model import CompiledCorrelation, CorrelationType
from garrison.detection.sigma.view import MISSING, EventView, as_text
from garrison.i18n import gettext as _

DEFAULT_MAX_GROUPS = 10_000
DEFAULT_MAX_EVENTS = 1_000
EVENTS_KEPT = 5
VALUES_SHOWN = 20

GroupKey = tuple[str | None, ...]


@dataclass(frozen=True, slots=True)
class Hit:
    at: float  # event time, seconds since the epoch
    moment: datetime
    seq: int
    event: LogEvent
    rule_id: str


@dataclass(slots=True)
class _Group:
    hits: collections.deque[Hit] = field(default_factory=collections.deque)
    values: collections.deque[tuple[float, str]] = field(default_factory=collections.deque)
    value_counts: dict[str, int] = field(default_factory=dict)
    last_by_rule: dict[str, Hit] = field(default_factory=dict)
    chains: list[tuple[float, tuple[Hit, ...]] | None] = field(default_factory=list)


class CorrelationState:
    """The live windows of one correlation rule."""

    def __init__(
        self,
        correlation: CompiledCorrelation,
        *,
        max_groups: int = DEFAULT_MAX_GROUPS,
        max_events: int = DEFAULT_MAX_EVENTS,
    ) -> None:
        self.correlation = correlation
        self.max_groups = max_groups
        self.max_events = max_events
        self.groups: collections.OrderedDict[GroupKey, _Group] = collections.OrderedDict()
        self.evicted = 0

    def observe(self, hit: Hit, view: EventView) -> Finding | None:
        correlation = self.correlation
        key = tuple(
            _group_value(view.value(correlation.group_field(name, hit.rule_id)))
            for name in correlation.group_by
        )
        group = self.groups.get(key)
        if group is None:
            group = self.groups[key] = _Group()
            if len(self.groups) > self.max_groups:
                self.groups.popitem(last=False)
                self.evicted += 1
        else:
            self.groups.move_to_end(key)
        observe = _OBSERVERS[correlation.type]
        outcome = observe(self, group, hit, view)
        if outcome is None:
            return None
        hits, details = outcome
        del self.groups[key]
        return self._finding(key, hits, details)

    # -- one observer per correlation type ---------------------------------------------

    def _event_count(self, group: _Group, hit: Hit, view: EventView) -> _Outcome:
        correlation = self.correlation
        hits = group.hits
        hits.append(hit)
        _expire(hits, hit.at - correlation.timespan_seconds)
        while len(hits) > self.max_events:
            hits.popleft()
        if not correlation.comparison.holds(len(hits), correlation.count):
            return None
        return tuple(hits), {"count": len(hits)}

    def _value_count(self, group: _Group, hit: Hit, view: EventView) -> _Outcome:
        correlation = self.correlation
        assert correlation.value_field is not None
        value = view.value(correlation.group_field(correlation.value_field, hit.rule_id))
        if value is MISSING or value is None:
            return None
        text = as_text(value)[:500]
        group.hits.append(hit)
        group.values.append((hit.at, text))
        group.value_counts[text] = group.value_counts.get(text, 0) + 1
        horizon = hit.at - correlation.timespan_seconds
        _expire(group.hits, horizon)
        while group.values and (
            group.values[0][0] < horizon or len(group.values) > self.max_events
        ):
            _at, old = group.values.popleft()
            remaining = group.value_counts[old] - 1
            if remaining:
                group.value_counts[old] = remaining
            else:
                del group.value_counts[old]
        while len(group.hits) > self.max_events:
            group.hits.popleft()
        distinct = len(group.value_counts)
        if not correlation.comparison.holds(distinct, correlation.count):
            return None
        shown = sorted(group.value_counts)[:VALUES_SHOWN]
        return tuple(group.hits), {"count": distinct, correlation.value_field: shown}

    def _temporal(self, group: _Group, hit: Hit, view: EventView) -> _Outcome:
        correlation = self.correlation
        group.last_by_rule[hit.rule_id] = hit
        horizon = hit.at - correlation.timespan_seconds
        for rule_id in [r for r, h in group.last_by_rule.items() if h.at < horizon]:
            del group.last_by_rule[rule_id]
        seen = frozenset(group.last_by_rule)
        if correlation.extended is not None:
            holds = correlation.extended.holds(seen)
        else:
            holds = correlation.comparison.holds(len(seen), correlation.count)
        if not holds:
            return None
        hits = tuple(sorted(group.last_by_rule.values(), key=lambda h: h.at))
        return hits, {"rules": sorted(seen)}

    def _temporal_ordered(self, group: _Group, hit: Hit, view: EventView) -> _Outcome:
        correlation = self.correlation
        steps = correlation.rule_ids
        if not group.chains:
            group.chains = [None] * len(steps)
        last = len(steps) - 1
        # Latest start of a chain completing steps 0..i: later positions first, so one
        # event never advances two steps at once.
        for position in range(last, -1, -1):
            if steps[position] != hit.rule_id:
                continue
            if position == 0:
                group.chains[0] = (hit.at, (hit,))
            else:
                previous = group.chains[position - 1]
                if previous is None or hit.at - previous[0] > correlation.timespan_seconds:
                    continue
                group.chains[position] = (previous[0], (*previous[1], hit))
            if position == last:
                chain = group.chains[last]
                assert chain is not None
                return chain[1], {"rules": list(steps)}
        return None

    def _finding(self, key: GroupKey, hits: tuple[Hit, ...], details: dict[str, object]) -> Finding:
        correlation = self.correlation
        grouped = {name: value for name, value in zip(correlation.group_by, key, strict=True)}
        matched: dict[str, object] = {**grouped, **details}
        kept = hits[-EVENTS_KEPT:]
        last = hits[-1]
        address = source_address_of(grouped) or source_address_of(last.event.fields)
        group_text = ", ".join(f"{name}={value}" for name, value in grouped.items())
        summary = _("%(title)s: %(count)s within %(seconds)d s (%(group)s)") % {
            "title": correlation.info.title,
            "count": details.get("count", len(hits)),
            "seconds": int(correlation.timespan_seconds),
            "group": group_text or "-",
        }
        return Finding(
            rule=correlation.info,
            kind=FindingKind.CORRELATION,
            at=last.moment,
            events=tuple(h.event for h in kept),
            event_seqs=tuple(h.seq for h in kept),
            matched_fields=matched,
            group=tuple((name, value or "") for name, value in grouped.items()),
            summary=summary,
            source_address=address,
        )


_Outcome = tuple[tuple[Hit, ...], dict[str, object]] | None

_OBSERVERS = {
    CorrelationType.EVENT_COUNT: CorrelationState._event_count,
    CorrelationType.VALUE_COUNT: CorrelationState._value_count,
    CorrelationType.TEMPORAL: CorrelationState._temporal,
    CorrelationType.TEMPORAL_ORDERED: CorrelationState._temporal_ordered,
}


def _expire(hits: collections.deque[Hit], horizon: float) -> None:
    while hits and hits[0].at < horizon:
        hits.popleft()


def _group_value(value: object) -> str | None:
    if value is MISSING or value is None:
        return None
    return as_text(value)[:200]


def chained_view(finding: Finding) -> EventView:
    """What a correlation of correlations sees of a firing correlation: its group values."""
    fields: Mapping[str, object] = {
        key: value for key, value in finding.matched_fields.items() if isinstance(value, str | int)
    }
    return EventView(fields)
