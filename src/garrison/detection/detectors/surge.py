"""Request-rate surges per site and per source address against a learned baseline.

Requests are counted in one-minute buckets per key. When a minute closes its count
feeds an exponentially weighted moving average (alpha 0.1: about ten minutes of
memory; empty minutes count as zero). A minute alerts, once, as soon as its count passes
``max(minimum, factor * baseline)``; minutes that alerted do not feed the baseline, so a
long flood does not teach the detector that floods are normal. State is bounded: the
key touched longest ago is forgotten first.
"""

from __future__ import annotations

from dataclasses import dataclass

from garrison.detection.detectors.base import BoundedState, detector_rule
from garrison.detection.findings import Finding, FindingKind, RuleInfo, event_time
from garrison.detection.records import LogEvent
from garrison.i18n import gettext as _

ALPHA = 0.1
MAX_IDLE_MINUTES = 120  # longer gaps decay the baseline as if this many empty minutes passed
MAX_SITES = 10_000
MAX_SOURCES = 100_000

SITE_RULE = detector_rule(
    "garrison-request-surge-site",
    "Request surge on a site",
    level="high",
    category="denial_of_service",
    description="Requests per minute to one site far above its learned baseline (flood, DoS).",
)
SOURCE_RULE = detector_rule(
    "garrison-request-surge-source",
    "Request flood from one address",
    level="high",
    category="denial_of_service",
    description="Requests per minute from one address far above its learned baseline.",
)


@dataclass(slots=True)
class _Rate:
    minute: int
    count: int = 0
    baseline: float = 0.0
    minutes_seen: int = 0
    alerted: bool = False

    def roll_to(self, minute: int) -> None:
        if minute <= self.minute:
            return
        if not self.alerted:
            self._fold(self.count)
        for _empty in range(min(minute - self.minute - 1, MAX_IDLE_MINUTES)):
            self._fold(0)
        self.minute, self.count, self.alerted = minute, 0, False

    def _fold(self, count: int) -> None:
        if self.minutes_seen == 0:
            self.baseline = float(count)
        else:
            self.baseline += ALPHA * (count - self.baseline)
        self.minutes_seen += 1


@dataclass(frozen=True, slots=True)
class _Scope:
    """One way of counting: per site or per source address."""

    rule: RuleInfo
    label: str
    minimum: int
    states: BoundedState[str, _Rate]


class RequestSurgeDetector:
    name = "request_surge"

    def __init__(
        self, *, factor: float = 5.0, min_site_requests: int = 600, min_source_requests: int = 300
    ) -> None:
        self.factor = factor
        self.sites = _Scope(SITE_RULE, "site", min_site_requests, BoundedState(MAX_SITES))
        self.sources = _Scope(
            SOURCE_RULE, "source_address", min_source_requests, BoundedState(MAX_SOURCES)
        )

    def evaluate(self, event: LogEvent, *, seq: int) -> list[Finding]:
        source = event.logsource
        if event.kind != "log" or source.category != "webserver" or source.service == "error":
            return []
        fields = event.fields
        minute = int(event_time(event).timestamp() // 60)
        findings: list[Finding] = []
        site = fields.get("cs-host") or event.host or event.source
        self._count(self.sites, str(site), minute, event, seq, findings)
        address = fields.get("c-ip")
        if isinstance(address, str) and address and address != "-":
            self._count(self.sources, address, minute, event, seq, findings)
        return findings

    def _count(
        self, scope: _Scope, key: str, minute: int, event: LogEvent, seq: int, out: list[Finding]
    ) -> None:
        rate = scope.states.get(key)
        if rate is None:
            rate = _Rate(minute)
            scope.states.put(key, rate)
        rate.roll_to(minute)
        rate.count += 1
        threshold = max(float(scope.minimum), self.factor * rate.baseline)
        if rate.alerted or rate.count <= threshold:
            return
        rate.alerted = True
        summary = _(
            "%(count)d requests this minute for %(key)s (baseline %(baseline).1f per minute)"
        ) % {"count": rate.count, "key": key, "baseline": rate.baseline}
        out.append(
            Finding(
                rule=scope.rule,
                kind=FindingKind.DETECTOR,
                at=event_time(event),
                events=(event,),
                event_seqs=(seq,),
                matched_fields={
                    scope.label: key,
                    "requests_this_minute": rate.count,
                    "baseline_per_minute": round(rate.baseline, 1),
                    "threshold": round(threshold, 1),
                },
                group=((scope.label, key),),
                summary=summary,
                source_address=key if scope.label == "source_address" else None,
            )
        )
