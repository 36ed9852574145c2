"""Shapes for the service page's inline SVG: state bands, a latency line, a page-text diff.

Pure functions over what the probes domain stored; the templates draw the result,
so the browser never computes anything from business data.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from garrison.probes.availability import Period
from garrison.probes.models import RollupRecord

CHART_WIDTH = 1000
CHART_HEIGHT = 160
MAX_POINTS = 360
MAX_DIFF_CHARS = 200_000
MAX_DIFF_LINES = 2_000


@dataclass(frozen=True, slots=True)
class Band:
    x: float
    width: float
    state: str
    start: datetime
    end: datetime
    in_maintenance: bool


def bands_of(periods: Sequence[Period], *, since: datetime, until: datetime) -> list[Band]:
    """Each period of one state as a rectangle across a chart CHART_WIDTH wide."""
    total = (until - since).total_seconds()
    if total <= 0:
        return []
    scale = CHART_WIDTH / total
    return [
        Band(
            x=round((period.start - since).total_seconds() * scale, 2),
            width=max(round(period.seconds * scale, 2), 0.5),
            state="maintenance" if period.maintenance else period.state,
            start=period.start,
            end=period.end,
            in_maintenance=period.maintenance,
        )
        for period in periods
        if period.seconds > 0
    ]


@dataclass(frozen=True, slots=True)
class LatencyPoint:
    x: float
    y: float
    at: datetime
    milliseconds: float


@dataclass(frozen=True, slots=True)
class LatencyChart:
    points: tuple[LatencyPoint, ...]
    peak_ms: float

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x},{p.y}" for p in self.points)


def latency_chart(
    rollups: Iterable[RollupRecord], *, since: datetime, until: datetime
) -> LatencyChart:
    """Mean latency per time slot (all checks and locations together), at most MAX_POINTS."""
    total = (until - since).total_seconds()
    if total <= 0:
        return LatencyChart(points=(), peak_ms=0.0)
    slot_seconds = max(total / MAX_POINTS, 60.0)
    sums: dict[int, tuple[float, int]] = {}
    for rollup in rollups:
        if not rollup.latency_count:
            continue
        slot = int((rollup.minute - since).total_seconds() // slot_seconds)
        latency, count = sums.get(slot, (0.0, 0))
        sums[slot] = (latency + rollup.latency_sum, count + rollup.latency_count)
    if not sums:
        return LatencyChart(points=(), peak_ms=0.0)
    means = {slot: latency / count for slot, (latency, count) in sorted(sums.items())}
    peak = max(means.values()) or 1.0
    scale = CHART_WIDTH / total
    points = tuple(
        LatencyPoint(
            x=round(min((slot + 0.5) * slot_seconds, total) * scale, 2),
            y=round(CHART_HEIGHT - mean / peak * (CHART_HEIGHT - 10), 2),
            at=since + timedelta(seconds=slot * slot_seconds),
            milliseconds=round(mean, 1),
        )
        for slot, mean in means.items()
    )
    return LatencyChart(points=points, peak_ms=round(peak, 1))


@dataclass(frozen=True, slots=True)
class DiffLine:
    kind: str  # "same", "added", "removed", "gap"
    text: str


def page_diff(baseline: str, current: str) -> tuple[list[DiffLine], bool]:
    """Line diff of the approved page text and the page as last seen; True when cut short."""
    cut = len(baseline) > MAX_DIFF_CHARS or len(current) > MAX_DIFF_CHARS
    before = baseline[:MAX_DIFF_CHARS].splitlines()
    after = current[:MAX_DIFF_CHARS].splitlines()
    lines: list[DiffLine] = []
    for raw in difflib.unified_diff(before, after, lineterm="", n=2):
        if raw.startswith(("---", "+++")):
            continue
        if raw.startswith("@@"):
            lines.append(DiffLine("gap", "…"))
        elif raw.startswith("+"):
            lines.append(DiffLine("added", raw[1:]))
        elif raw.startswith("-"):
            lines.append(DiffLine("removed", raw[1:]))
        else:
            lines.append(DiffLine("same", raw[1:]))
        if len(lines) >= MAX_DIFF_LINES:
            return lines, True
    return lines, cut
