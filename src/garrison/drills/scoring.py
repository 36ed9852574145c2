"""Scoring of a drill: pure functions over what each inject became.

Per inject: time to detect (inject → incident opened), acknowledge, mitigate and resolve
(from the incident's opening), each against its target; the right runbook used when the
plan is named. An inject scores the share of its targets met (0 to 100); a post scores the
mean of its injects; the drill the mean of all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class InjectOutcome:
    position: int
    title: str
    post: str | None
    injected_at: datetime | None
    opened_at: datetime | None
    acknowledged_at: datetime | None
    mitigated_at: datetime | None
    resolved_at: datetime | None
    targets: dict[str, float | None]  # acknowledge/mitigate/resolve minutes
    expected_plan: str | None = None
    plans_used: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class InjectScore:
    position: int
    title: str
    post: str | None
    seconds: dict[str, float | None]
    met: dict[str, bool]
    score: float


@dataclass(frozen=True, slots=True)
class DrillScore:
    injects: list[InjectScore]
    per_post: dict[str, float] = field(default_factory=dict)
    overall: float | None = None


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return (end - start).total_seconds()


def score_inject(outcome: InjectOutcome) -> InjectScore:
    seconds = {
        "detect": _seconds(outcome.injected_at, outcome.opened_at),
        "acknowledge": _seconds(outcome.opened_at, outcome.acknowledged_at),
        "mitigate": _seconds(outcome.opened_at, outcome.mitigated_at),
        "resolve": _seconds(outcome.opened_at, outcome.resolved_at),
    }
    met: dict[str, bool] = {}
    for name, minutes in outcome.targets.items():
        if minutes is None:
            continue
        taken = seconds.get(name)
        met[name] = taken is not None and taken <= minutes * 60
    if outcome.expected_plan is not None:
        met["runbook"] = outcome.expected_plan in outcome.plans_used
    score = round(sum(met.values()) / len(met) * 100, 1) if met else 100.0
    return InjectScore(outcome.position, outcome.title, outcome.post, seconds, met, score)


def score_drill(outcomes: list[InjectOutcome]) -> DrillScore:
    scores = [score_inject(outcome) for outcome in outcomes]
    by_post: dict[str, list[float]] = {}
    for item in scores:
        by_post.setdefault(item.post or "-", []).append(item.score)
    per_post = {post: round(sum(v) / len(v), 1) for post, v in sorted(by_post.items())}
    overall = round(sum(s.score for s in scores) / len(scores), 1) if scores else None
    return DrillScore(scores, per_post, overall)
