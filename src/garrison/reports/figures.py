"""Every figure of the reports, as pure functions over :class:`ReportFacts`.

Availability follows ``garrison.probes.availability``: time in maintenance is set apart,
unmeasured time (unknown, paused) too, and ``percent = (up + degraded) / measured``.
An unplanned interruption is an entry into ``down`` outside maintenance; its duration
is the time spent down outside maintenance. Drills never count in the real figures:
their incidents and detections are counted apart. Durations are seconds; the median
is the middle value (mean of the two middle ones), p90 the nearest-rank 90th percentile.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from garrison.reports.facts import IncidentFacts, ReportFacts, StateChange

AVAILABLE = frozenset({"up", "degraded"})
UNAVAILABLE = frozenset({"down", "unreachable", "flapping"})
TOP_SOURCES = 10


def availability(changes: list[StateChange], *, since: datetime, until: datetime) -> dict[str, Any]:
    state, maintenance = "unknown", False
    cursor = since
    seconds: dict[str, float] = {}
    for change in [*changes, None]:
        at = until if change is None else min(max(change.at, since), until)
        if at > cursor:
            key = "maintenance" if maintenance or state == "maintenance" else state
            seconds[key] = seconds.get(key, 0.0) + (at - cursor).total_seconds()
            cursor = at
        if change is not None:
            state, maintenance = change.current, change.in_maintenance
    available = sum(seconds.get(name, 0.0) for name in AVAILABLE)
    measured = available + sum(seconds.get(name, 0.0) for name in UNAVAILABLE)
    interruptions = [
        change
        for change in changes
        if since <= change.at < until
        and change.current == "down"
        and change.previous != "down"
        and not change.in_maintenance
    ]
    return {
        "percent": round(available / measured * 100, 3) if measured else None,
        "maintenance_seconds": seconds.get("maintenance", 0.0),
        "down_seconds": seconds.get("down", 0.0),
        "interruptions": len(interruptions),
    }


def local_days(
    since: datetime, until: datetime, zone: ZoneInfo
) -> list[tuple[str, datetime, datetime]]:
    """The event's local days overlapping [since, until), each clipped to the range."""
    days = []
    day = since.astimezone(zone).date()
    while True:
        start = datetime(day.year, day.month, day.day, tzinfo=zone)
        end = start + timedelta(days=1)
        low, high = max(start, since), min(end, until)
        if low >= until:
            break
        if high > low:
            days.append((day.isoformat(), low, high))
        day = day + timedelta(days=1)
    return days


def availability_section(facts: ReportFacts) -> list[dict[str, Any]]:
    zone = ZoneInfo(facts.timezone)
    rows = []
    for service in facts.services:
        changes = facts.changes.get(service.id, [])
        whole = availability(changes, since=facts.since, until=facts.until)
        per_day = {
            label: availability(changes, since=low, until=high)["percent"]
            for label, low, high in local_days(facts.since, facts.until, zone)
        }
        rows.append(
            {
                "service": service.id,
                "name": service.name,
                "site": service.site,
                "criticality": service.criticality,
                **whole,
                "per_day": per_day,
            }
        )
    return rows


def per_site(rows: list[dict[str, Any]]) -> dict[str, float | None]:
    """Mean availability of the measured services of each site."""
    sites: dict[str, list[float]] = {}
    for row in rows:
        if row["percent"] is not None:
            sites.setdefault(row["site"] or "-", []).append(row["percent"])
    return {site: round(sum(v) / len(v), 3) for site, v in sorted(sites.items())}


def critical_interruptions(rows: list[dict[str, Any]]) -> dict[str, Any]:
    critical = [row for row in rows if row["criticality"] == "critical"]
    return {
        "count": sum(row["interruptions"] for row in critical),
        "seconds": sum(row["down_seconds"] for row in critical),
    }


def median(values: list[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def p90(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def _in_window(incident: IncidentFacts, facts: ReportFacts) -> bool:
    return facts.since <= incident.opened_at < facts.until


def incident_section(facts: ReportFacts, *, drills: bool = False) -> dict[str, Any]:
    chosen = [i for i in facts.incidents if i.is_drill == drills and _in_window(i, facts)]
    to_ack = [
        (i.acknowledged_at - i.opened_at).total_seconds() for i in chosen if i.acknowledged_at
    ]
    to_resolve = [(i.resolved_at - i.opened_at).total_seconds() for i in chosen if i.resolved_at]
    return {
        "total": len(chosen),
        "open": sum(1 for i in chosen if i.status in {"triggered", "acknowledged", "mitigated"}),
        "by_severity": dict(sorted(Counter(i.severity for i in chosen).items())),
        "by_category": dict(sorted(Counter(i.category for i in chosen).items())),
        "acknowledge_median": median(to_ack),
        "acknowledge_p90": p90(to_ack),
        "resolve_median": median(to_resolve),
        "resolve_p90": p90(to_resolve),
    }


def detection_section(facts: ReportFacts) -> dict[str, Any]:
    real = [
        d for d in facts.detections if not d.is_drill and facts.since <= d.occurred_at < facts.until
    ]
    by_category: Counter[str] = Counter()
    sources: Counter[str] = Counter()
    for detection in real:
        by_category[detection.category] += detection.count
        if detection.source_address:
            sources[detection.source_address] += detection.count
    top = sorted(sources.items(), key=lambda item: (-item[1], item[0]))[:TOP_SOURCES]
    return {
        "total": sum(by_category.values()),
        "by_category": dict(sorted(by_category.items())),
        "top_sources": [{"address": address, "count": count} for address, count in top],
    }


def directive_section(facts: ReportFacts) -> dict[str, Any]:
    issued = [d for d in facts.directives if facts.since <= d.created_at < facts.until]
    open_statuses = {"issued", "acknowledged"}
    return {
        "issued": len(issued),
        "completed": sum(1 for d in issued if d.status == "completed"),
        "completed_late": sum(
            1 for d in issued if d.completed_at is not None and d.completed_at > d.deadline
        ),
        "overdue": sum(1 for d in issued if d.status in open_statuses and d.deadline < facts.until),
        "open": sum(1 for d in issued if d.status in open_statuses),
    }


def duty_section(facts: ReportFacts) -> dict[str, Any]:
    due = [c for c in facts.check_ins if facts.since <= c.due_at < facts.until]
    decided = [c for c in due if c.checked_in_at is not None or c.missed_at is not None]
    on_time = sum(1 for c in decided if c.checked_in_at is not None)
    window = (facts.until - facts.since).total_seconds()
    posts = sorted({g.post for g in facts.gaps} | {c.post for c in facts.check_ins})
    gap_seconds = sum(
        (min(g.end, facts.until) - max(g.start, facts.since)).total_seconds()
        for g in facts.gaps
        if g.end > facts.since and g.start < facts.until
    )
    return {
        "check_ins": len(decided),
        "checked_in": on_time,
        "missed": len(decided) - on_time,
        "check_in_percent": round(on_time / len(decided) * 100, 1) if decided else None,
        "gap_seconds": gap_seconds,
        "coverage_percent": (
            round((1 - gap_seconds / (window * len(posts))) * 100, 2) if posts and window else None
        ),
        "handovers": sum(1 for h in facts.handovers if facts.since <= h.written_at < facts.until),
    }


def readiness_at(facts: ReportFacts, moment: datetime) -> dict[str, Any]:
    counted = [t for t in facts.tasks if t.status != "cancelled"]

    def done(unit: str | None) -> tuple[int, int]:
        mine = [t for t in counted if unit is None or t.unit == unit]
        finished = sum(1 for t in mine if t.completed_at is not None and t.completed_at <= moment)
        return finished, len(mine)

    def percent(pair: tuple[int, int]) -> float:
        return round(pair[0] / pair[1] * 100, 1) if pair[1] else 100.0

    return {
        "overall": percent(done(None)),
        "per_unit": {unit: percent(done(unit)) for unit in facts.units},
    }


def drill_section(facts: ReportFacts) -> list[dict[str, Any]]:
    return [
        {
            "name": d.name,
            "started_at": d.started_at.isoformat(),
            "overall": d.overall,
            "per_post": d.per_post,
        }
        for d in facts.drills
        if facts.kind == "final" or facts.since <= d.started_at < facts.until
    ]


def compute_figures(facts: ReportFacts) -> dict[str, Any]:
    """Every figure of the report, JSON-ready."""
    rows = availability_section(facts)
    return {
        "kind": facts.kind,
        "event": facts.event_name,
        "timezone": facts.timezone,
        "since": facts.since.isoformat(),
        "until": facts.until.isoformat(),
        "availability": rows,
        "availability_per_site": per_site(rows),
        "critical_interruptions": critical_interruptions(rows),
        "incidents": incident_section(facts),
        "drill_incidents": incident_section(facts, drills=True),
        "detections": detection_section(facts),
        "directives": directive_section(facts),
        "duty": duty_section(facts),
        "drills": drill_section(facts),
        "readiness_at_start": readiness_at(facts, facts.event_start),
        "handovers": [
            {
                "post": h.post,
                "outgoing": h.outgoing,
                "incoming": h.incoming,
                "written_at": h.written_at.isoformat(),
                "remarks": h.remarks,
                "acknowledged": h.acknowledged,
            }
            for h in facts.handovers
            if facts.since <= h.written_at < facts.until
        ],
    }
