"""Per-minute rollups of results: counts, failures and latency (min/avg/max/p95).

The p95 is approximated from a fixed histogram (``LATENCY_BOUNDS_MS``): the upper
bound of the bucket holding the 95th percentile, clamped to the minute's min and
max. Histograms add up, so any range of minutes gives its own p95 the same way.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import RowMapping, Table, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.probes.models import RollupRecord
from garrison.probes.results import CheckResult

LATENCY_BOUNDS_MS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, math.inf)


def minute_of(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


@dataclass(slots=True)
class Rollup:
    count: int = 0
    failures: int = 0
    latency_count: int = 0
    latency_sum: float = 0.0
    latency_min: float | None = None
    latency_max: float | None = None
    buckets: list[int] = field(default_factory=lambda: [0] * len(LATENCY_BOUNDS_MS))

    def add(self, result: CheckResult) -> None:
        self.count += 1
        if not result.ok:
            self.failures += 1
        latency = result.latency_ms
        if latency is None or not math.isfinite(latency) or latency < 0:
            return
        self.latency_count += 1
        self.latency_sum += latency
        self.latency_min = latency if self.latency_min is None else min(self.latency_min, latency)
        self.latency_max = latency if self.latency_max is None else max(self.latency_max, latency)
        self.buckets[_bucket(latency)] += 1

    def merge(self, other: Rollup) -> None:
        self.count += other.count
        self.failures += other.failures
        self.latency_count += other.latency_count
        self.latency_sum += other.latency_sum
        self.latency_min = _pick(min, self.latency_min, other.latency_min)
        self.latency_max = _pick(max, self.latency_max, other.latency_max)
        self.buckets = [a + b for a, b in zip(self.buckets, _padded(other.buckets), strict=True)]

    @property
    def latency_avg(self) -> float | None:
        return self.latency_sum / self.latency_count if self.latency_count else None

    @property
    def latency_p95(self) -> float | None:
        if not self.latency_count or self.latency_min is None or self.latency_max is None:
            return None
        rank = math.ceil(0.95 * self.latency_count)
        seen = 0
        for bound, count in zip(LATENCY_BOUNDS_MS, self.buckets, strict=True):
            seen += count
            if seen >= rank:
                return max(self.latency_min, min(float(bound), self.latency_max))
        return self.latency_max

    @classmethod
    def of(cls, record: RollupRecord) -> Rollup:
        return cls(
            count=record.count,
            failures=record.failures,
            latency_count=record.latency_count,
            latency_sum=record.latency_sum,
            latency_min=record.latency_min,
            latency_max=record.latency_max,
            buckets=_padded(record.buckets),
        )

    def columns(self) -> dict[str, object]:
        return {
            "count": self.count,
            "failures": self.failures,
            "latency_count": self.latency_count,
            "latency_sum": self.latency_sum,
            "latency_min": self.latency_min,
            "latency_max": self.latency_max,
            "buckets": list(self.buckets),
        }


RollupKey = tuple[str, str, datetime]  # check id, location, minute
_COLUMNS = (
    RollupRecord.check_id,
    RollupRecord.location,
    RollupRecord.minute,
    RollupRecord.count,
    RollupRecord.failures,
    RollupRecord.latency_count,
    RollupRecord.latency_sum,
    RollupRecord.latency_min,
    RollupRecord.latency_max,
    RollupRecord.buckets,
)


def aggregate(results: Iterable[tuple[str, CheckResult]]) -> dict[RollupKey, Rollup]:
    rollups: dict[RollupKey, Rollup] = {}
    for check_id, result in results:
        key = (check_id, result.location, minute_of(result.started_at))
        rollups.setdefault(key, Rollup()).add(result)
    return rollups


async def merge_rollups(session: AsyncSession, rollups: dict[RollupKey, Rollup]) -> None:
    """Add the batch's minutes to the stored ones: update those that exist, insert the rest."""
    if not rollups:
        return
    minutes = sorted({minute for _check, _location, minute in rollups})
    check_ids = sorted({check_id for check_id, _location, _minute in rollups})
    existing: dict[RollupKey, Rollup] = {}
    for chunk in _chunks(check_ids, 500):
        # Plain rows, not ORM objects: thousands per batch, read once and dropped.
        query = select(*_COLUMNS).where(
            RollupRecord.check_id.in_(chunk), RollupRecord.minute.in_(minutes)
        )
        for row in (await session.execute(query)).mappings():
            key = (row["check_id"], row["location"], row["minute"])
            if key in rollups:
                existing[key] = _stored(row)
    updates: list[dict[str, object]] = []
    inserts: list[dict[str, object]] = []
    for key, rollup in rollups.items():
        stored = existing.get(key)
        if stored is None:
            inserts.append(_row(key, rollup))
        else:
            stored.merge(rollup)
            updates.append(_row(key, stored))
    # Core statements (executemany), not ORM bulk ones: no per-row ORM bookkeeping.
    table = RollupRecord.__table__
    assert isinstance(table, Table)
    if updates:
        statement = update(table).where(
            table.c.check_id == bindparam("key_check_id"),
            table.c.location == bindparam("key_location"),
            table.c.minute == bindparam("key_minute"),
        )
        await session.execute(statement, [_keyed(row) for row in updates])
    if inserts:
        await session.execute(insert(table), inserts)


def _keyed(row: dict[str, object]) -> dict[str, object]:
    """An update's parameters: the key columns under other names, as the WHERE clause's."""
    keys = ("check_id", "location", "minute")
    return {
        **{f"key_{name}": row[name] for name in keys},
        **{name: value for name, value in row.items() if name not in keys},
    }


def _stored(row: RowMapping) -> Rollup:
    return Rollup(
        count=row["count"],
        failures=row["failures"],
        latency_count=row["latency_count"],
        latency_sum=row["latency_sum"],
        latency_min=row["latency_min"],
        latency_max=row["latency_max"],
        buckets=_padded(row["buckets"]),
    )


def _row(key: RollupKey, rollup: Rollup) -> dict[str, object]:
    check_id, location, minute = key
    return {"check_id": check_id, "location": location, "minute": minute, **rollup.columns()}


def _bucket(latency: float) -> int:
    for index, bound in enumerate(LATENCY_BOUNDS_MS):
        if latency <= bound:
            return index
    return len(LATENCY_BOUNDS_MS) - 1


def _padded(buckets: Sequence[int]) -> list[int]:
    values = [int(value) for value in buckets][: len(LATENCY_BOUNDS_MS)]
    return values + [0] * (len(LATENCY_BOUNDS_MS) - len(values))


def _pick(
    choose: Callable[[float, float], float], first: float | None, second: float | None
) -> float | None:
    if first is None:
        return second
    if second is None:
        return first
    return float(choose(first, second))


def _chunks(items: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
