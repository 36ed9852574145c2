"""The batch writer: the only place where probing touches the database and the bus.

Results arrive through a bounded queue (a full queue drops the result and counts
it: probing never waits for storage); state changes through an unbounded list
(they are few, and none may be lost). Each batch is one transaction: raw results
(one multi-row insert), rollups, state history and current states. The changes
are published on the bus after the commit, so a consumer that reads the
database finds what the event announces.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, bindparam, insert, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from garrison.bus.abc import Bus
from garrison.clock import Clock
from garrison.probes.engine import CheckChange, Judgement, ServiceChange
from garrison.probes.events import CheckStateChanged, ServiceStateChanged
from garrison.probes.metrics import ProbeMetrics
from garrison.probes.models import (
    REASON_LENGTH,
    CheckStateRecord,
    ResultRecord,
    ServiceStateRecord,
    StateChangeRecord,
)
from garrison.probes.results import CheckResult
from garrison.probes.rollups import aggregate, merge_rollups
from garrison.storage.base import Base

logger = logging.getLogger(__name__)

DEFAULT_QUEUE_SIZE = 20_000
DEFAULT_BATCH_SIZE = 1_000
DEFAULT_LINGER_SECONDS = 0.1
MAX_DETAILS_BYTES = 16_384
MAX_EVIDENCE = 10
SNAPSHOT_KEY = "snapshot"
RETRY_SECONDS = 0.5


@dataclass(frozen=True, slots=True)
class QueuedResult:
    check_id: str
    result: CheckResult


def evidence_document(result: CheckResult) -> dict[str, object]:
    return {
        "location": result.location,
        "ok": result.ok,
        "reason": result.reason,
        "latency_ms": result.latency_ms,
        "started_at": result.started_at.isoformat(),
    }


class ResultWriter:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        bus: Bus,
        clock: Clock,
        metrics: ProbeMetrics | None = None,
        queue_size: int = DEFAULT_QUEUE_SIZE,
        batch_size: int = DEFAULT_BATCH_SIZE,
        linger_seconds: float = DEFAULT_LINGER_SECONDS,
        before_batch: Callable[[], Judgement] | None = None,
    ) -> None:
        self.sessions = sessions
        self.bus = bus
        self.clock = clock
        self.metrics = metrics
        self.batch_size = batch_size
        self.linger_seconds = linger_seconds
        # Called as each batch is taken: the engine's service judgement joins the batch.
        self.before_batch = before_batch
        self._results: asyncio.Queue[QueuedResult] = asyncio.Queue(maxsize=queue_size)
        self._changes: deque[CheckChange | ServiceChange] = deque()
        self._wake = asyncio.Event()
        self._submitted = 0
        self._done = 0
        self._progress = asyncio.Condition()
        self.dropped = 0
        self.results_written = 0
        if metrics is not None:
            metrics.queue_depth.set_function(self._results.qsize)

    # -- the probe path (synchronous, never waits) ---------------------------------------

    def submit(self, check_id: str, result: CheckResult, judgement: Judgement) -> None:
        self._changes.extend(judgement.checks)
        self._changes.extend(judgement.services)
        self._submitted += len(judgement.checks) + len(judgement.services)
        try:
            self._results.put_nowait(QueuedResult(check_id, result))
            self._submitted += 1
        except asyncio.QueueFull:
            self.dropped += 1
            if self.metrics is not None:
                self.metrics.results_dropped.inc()
            if self.dropped in (1, 10, 100) or self.dropped % 1000 == 0:
                logger.warning("result queue full: %d results dropped so far", self.dropped)
        self._wake.set()

    def submit_changes(self, judgement: Judgement) -> None:
        self._changes.extend(judgement.checks)
        self._changes.extend(judgement.services)
        self._submitted += len(judgement.checks) + len(judgement.services)
        self._wake.set()

    @property
    def pending(self) -> int:
        return self._results.qsize() + len(self._changes)

    # -- the writer task ---------------------------------------------------------------------

    async def run(self) -> None:
        while True:
            await self._wake.wait()
            if self.linger_seconds > 0 and self._results.qsize() < self.batch_size:
                # Let a few more results arrive: fewer, larger transactions cost less.
                await asyncio.sleep(self.linger_seconds)
            self._wake.clear()
            while self.pending:
                await self.write_batch()

    async def flush(self) -> None:
        """Wait until everything submitted so far is written (or given up)."""
        target = self._submitted
        async with self._progress:
            await self._progress.wait_for(lambda: self._done >= target)

    async def wait_written(self, count: int) -> None:
        """Wait until ``count`` results in all have been handled (stored, or given up on)."""
        async with self._progress:
            await self._progress.wait_for(lambda: self.results_written >= count)

    async def write_batch(self) -> None:
        results: list[QueuedResult] = []
        while len(results) < self.batch_size and not self._results.empty():
            results.append(self._results.get_nowait())
        if self.before_batch is not None:
            self.submit_changes(self.before_batch())
        changes = list(self._changes)
        self._changes.clear()
        self._observe(results)
        started = asyncio.get_running_loop().time()
        for attempt in (1, 2):
            try:
                async with self.sessions() as session:
                    await _store(session, results, changes)
                    await session.commit()
                break
            except Exception:
                logger.exception(
                    "writing %d probe results failed (attempt %d)", len(results), attempt
                )
                if self.metrics is not None:
                    self.metrics.write_errors.inc()
                if attempt == 1:
                    # Infrastructure back-off, in real time: the engine's clock may be a test's.
                    await asyncio.sleep(RETRY_SECONDS)
        if self.metrics is not None:
            self.metrics.write_seconds.observe(asyncio.get_running_loop().time() - started)
        for change in changes:
            await self._publish(change)
        async with self._progress:
            self._done += len(results) + len(changes)
            self.results_written += len(results)
            self._progress.notify_all()

    def _observe(self, results: list[QueuedResult]) -> None:
        if self.metrics is None:
            return
        for item in results:
            self.metrics.observe_result(item.check_id, item.result)

    async def _publish(self, change: CheckChange | ServiceChange) -> None:
        if change.history_only:
            return
        if isinstance(change, CheckChange):
            event: CheckStateChanged | ServiceStateChanged = CheckStateChanged(
                occurred_at=change.at,
                check_id=change.check_id,
                service_id=change.service_id,
                previous=change.previous.value,
                current=change.current.value,
                reason=change.reason,
                evidence=tuple(evidence_document(r) for r in change.evidence[:MAX_EVIDENCE]),
                in_maintenance=change.in_maintenance,
            )
        else:
            event = ServiceStateChanged(
                occurred_at=change.at,
                service_id=change.service_id,
                previous=change.previous.value,
                current=change.status.state.value,
                reason=change.status.reason,
                caused_by=change.status.caused_by,
                in_maintenance=change.status.in_maintenance,
                checks=dict(change.checks),
                evidence=tuple(evidence_document(r) for r in change.evidence[:MAX_EVIDENCE]),
            )
        try:
            await self.bus.publish(event)
        except Exception:
            logger.exception("publishing %s failed", event.topic)


async def _store(
    session: AsyncSession, results: list[QueuedResult], changes: list[CheckChange | ServiceChange]
) -> None:
    if results:
        # Core statements, not ORM ones: plain executemany, no per-row ORM bookkeeping.
        await session.execute(
            insert(_core_table(ResultRecord)), [_result_row(item) for item in results]
        )
        await merge_rollups(session, aggregate((i.check_id, i.result) for i in results))
        await _update_last_results(session, results)
    if changes:
        await session.execute(
            insert(_core_table(StateChangeRecord)), [_history_row(c) for c in changes]
        )
        await _update_current_states(session, changes)


def _result_row(item: QueuedResult) -> dict[str, Any]:
    result = item.result
    details = {key: value for key, value in result.details.items() if key != SNAPSHOT_KEY}
    return {
        "check_id": item.check_id,
        "location": result.location,
        "started_at": result.started_at,
        "ok": result.ok,
        "latency_ms": result.latency_ms,
        "reason": result.reason[:REASON_LENGTH],
        "severity": result.severity,
        "phases": bounded_json(result.phases),
        "details": bounded_json(details),
    }


def bounded_json(value: dict[str, Any], limit: int = MAX_DETAILS_BYTES) -> dict[str, Any]:
    """JSON-safe and small: anything odd becomes text, anything large a marker."""
    odd: list[object] = []

    def as_text(item: object) -> str:
        odd.append(item)
        return str(item)

    encoded = json.dumps(value, default=as_text, ensure_ascii=False)
    # Each character takes at most 4 bytes: short text needs no encoding to be measured.
    if len(encoded) * 4 > limit:
        size = len(encoded.encode("utf-8"))
        if size > limit:
            return {"_truncated": True, "bytes": size}
    if not odd:
        return value  # already plain JSON: decoding it again would give the same
    decoded: dict[str, Any] = json.loads(encoded)
    return decoded


async def _update_last_results(session: AsyncSession, results: list[QueuedResult]) -> None:
    newest: dict[str, CheckResult] = {}
    for item in results:
        known = newest.get(item.check_id)
        if known is None or item.result.started_at >= known.started_at:
            newest[item.check_id] = item.result
    rows: list[dict[str, Any]] = []
    snapshots: list[dict[str, Any]] = []
    for check_id, result in newest.items():
        details = {key: value for key, value in result.details.items() if key != SNAPSHOT_KEY}
        rows.append(
            {
                "check_id": check_id,
                "last_result_at": result.started_at,
                "last_ok": result.ok,
                "last_reason": result.reason[:REASON_LENGTH],
                "last_latency_ms": result.latency_ms,
                "last_details": bounded_json(details),
            }
        )
        snapshot = result.details.get(SNAPSHOT_KEY)
        if isinstance(snapshot, dict):
            snapshots.append(
                {
                    "check_id": check_id,
                    "snapshot": bounded_json(snapshot, limit=4 * 1024 * 1024),
                    "snapshot_at": result.started_at,
                }
            )
    await _update_rows(session, CheckStateRecord, "check_id", rows)
    if snapshots:
        await _update_rows(session, CheckStateRecord, "check_id", snapshots)


def _history_row(change: CheckChange | ServiceChange) -> dict[str, Any]:
    evidence = [evidence_document(result) for result in change.evidence[:MAX_EVIDENCE]]
    if isinstance(change, CheckChange):
        return {
            "subject_kind": "check",
            "subject_id": change.check_id,
            "at": change.at,
            "previous": change.previous.value,
            "current": change.current.value,
            "measured": change.current.value,
            "in_maintenance": change.in_maintenance,
            "caused_by": None,
            "reason": change.reason[:REASON_LENGTH],
            "evidence": evidence,
        }
    status = change.status
    return {
        "subject_kind": "service",
        "subject_id": change.service_id,
        "at": change.at,
        "previous": change.previous.value,
        "current": status.state.value,
        "measured": status.measured.value,
        "in_maintenance": status.in_maintenance,
        "caused_by": status.caused_by,
        "reason": status.reason[:REASON_LENGTH],
        "evidence": evidence,
    }


async def _update_current_states(
    session: AsyncSession, changes: list[CheckChange | ServiceChange]
) -> None:
    checks: dict[str, dict[str, Any]] = {}
    services_moved: dict[str, dict[str, Any]] = {}
    services_detail: dict[str, dict[str, Any]] = {}
    for change in changes:
        if isinstance(change, CheckChange):
            if not change.history_only:
                checks[change.check_id] = {
                    "check_id": change.check_id,
                    "state": change.current.value,
                    "since": change.at,
                    "reason": change.reason[:REASON_LENGTH],
                    "updated_at": change.at,
                }
            continue
        status = change.status
        row = {
            "service_id": change.service_id,
            "state": status.state.value,
            "measured": status.measured.value,
            "caused_by": status.caused_by,
            "in_maintenance": status.in_maintenance,
            "reason": status.reason[:REASON_LENGTH],
            "updated_at": change.at,
        }
        if change.history_only and change.service_id in services_moved:
            services_moved[change.service_id].update(row)
        elif change.history_only:
            services_detail[change.service_id] = row
        else:
            services_detail.pop(change.service_id, None)
            services_moved[change.service_id] = {**row, "since": change.at}
    for rows, table, key in (
        (checks, CheckStateRecord, "check_id"),
        (services_moved, ServiceStateRecord, "service_id"),
        (services_detail, ServiceStateRecord, "service_id"),
    ):
        if rows:
            await _update_rows(session, table, key, list(rows.values()))


async def _update_rows(
    session: AsyncSession, model: type[Base], key: str, rows: list[dict[str, Any]]
) -> None:
    """One UPDATE run for many rows (executemany); a row that does not exist is skipped."""
    table = _core_table(model)
    statement = update(table).where(table.c[key] == bindparam("_key"))
    await session.execute(
        statement,
        [{"_key": row[key], **{k: v for k, v in row.items() if k != key}} for row in rows],
    )


def _core_table(model: type[Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table
