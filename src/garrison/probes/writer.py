"""The batch writer: the only place where probing touches the database and the bus.

Results are appended to an in-memory list (probing never waits for storage);
state changes to an unbounded deque (they are few, and none may be lost). Each
batch is one transaction: raw results (one executemany, see :mod:`.result_rows`),
the checks' last results that say something new
(:mod:`.last_results`; the others every few seconds), state history and current
states. A writer that falls behind takes
bigger batches (up to ``max_batch_size``), so the cost per result falls as the
backlog grows; only past ``queue_size`` waiting results (memory, not time) is a
result dropped, counted in ``garrison_probe_results_dropped_total`` and logged.

Per-minute rollups are merged in memory as batches are taken and stored once a
minute is over (the first batch holding a later minute writes it), or at once
by :meth:`ResultWriter.flush` and :meth:`ResultWriter.write_batch`: one row
written per check and minute instead of one update per result. The changes are
published on the bus after the commit, so a consumer that reads the database
finds what the event announces. A batch with nothing new lingers up to
``linger_seconds`` for more results (fewer transactions); a state change, a full
batch or a flush ends the wait at once, so news is never held back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, insert, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from garrison.bus.abc import Bus
from garrison.clock import Clock
from garrison.probes.engine import CheckChange, Judgement, ServiceChange
from garrison.probes.events import CheckStateChanged, ServiceStateChanged
from garrison.probes.last_result_rows import LastResultRows
from garrison.probes.last_results import LastResults
from garrison.probes.metrics import ProbeMetrics
from garrison.probes.models import (
    REASON_LENGTH,
    CheckStateRecord,
    ServiceStateRecord,
    StateChangeRecord,
)
from garrison.probes.result_rows import ResultRows
from garrison.probes.results import CheckResult
from garrison.probes.rollups import Rollup, RollupKey, merge_rollups, minute_of
from garrison.storage.base import Base

logger = logging.getLogger(__name__)

# Waiting results kept at most (about 1.5 KB each): the last resort under overload.
DEFAULT_QUEUE_SIZE = 100_000
DEFAULT_BATCH_SIZE = 1_000
# A writer behind takes up to this many at once: fewer, larger transactions.
DEFAULT_MAX_BATCH_SIZE = 10_000
# Results with nothing new wait up to this long for company (fewer, larger transactions);
# a state change cuts the wait short: news is stored and published at once.
DEFAULT_LINGER_SECONDS = 0.5
MAX_EVIDENCE = 10
RETRY_SECONDS = 0.5

# A result waiting for the writer: (check id, result).
QueuedResult = tuple[str, CheckResult]


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
        max_batch_size: int = DEFAULT_MAX_BATCH_SIZE,
        linger_seconds: float = DEFAULT_LINGER_SECONDS,
        before_batch: Callable[[], Judgement] | None = None,
        last_results: LastResults | None = None,
    ) -> None:
        self.sessions = sessions
        self.bus = bus
        self.clock = clock
        self.metrics = metrics
        self.batch_size = batch_size
        self.max_batch_size = max(batch_size, max_batch_size)
        self.queue_size = queue_size
        self.linger_seconds = linger_seconds
        # Called as each batch is taken: the engine's service judgement joins the batch.
        self.before_batch = before_batch
        self._results: list[QueuedResult] = []
        self.last_results = last_results if last_results is not None else LastResults()
        # Rollups of the minutes not stored yet, merged in memory as batches are taken:
        # by minute, then by (check, location), so that closing a minute costs its rows.
        self._rollups: dict[datetime, dict[tuple[str, str], Rollup]] = {}
        self._newest_minute: datetime | None = None
        self._rollups_asked = 0  # flushes waiting for every held rollup to be stored
        self._changes: deque[CheckChange | ServiceChange] = deque()
        self._wake = asyncio.Event()
        self._urgent = asyncio.Event()  # a state change waits: no lingering
        self._submitted = 0
        self._done = 0
        self._progress = asyncio.Condition()
        self.dropped = 0
        self.results_written = 0
        if metrics is not None:
            metrics.queue_depth.set_function(lambda: len(self._results))

    # -- the probe path (synchronous, never waits) ---------------------------------------

    def submit(self, check_id: str, result: CheckResult, judgement: Judgement) -> None:
        if judgement.checks or judgement.services:
            self._changes.extend(judgement.checks)
            self._changes.extend(judgement.services)
            self._submitted += len(judgement.checks) + len(judgement.services)
            self._urgent.set()
        if len(self._results) < self.queue_size:
            self._results.append((check_id, result))
            self._submitted += 1
            if len(self._results) >= self.batch_size:
                self._urgent.set()  # a full batch: no reason to wait
        else:
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
        self._urgent.set()
        self._wake.set()

    @property
    def pending(self) -> int:
        return len(self._results) + len(self._changes) + (self._rollups_asked > 0)

    # -- the writer task ---------------------------------------------------------------------

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due = self.last_results.due_in(loop.time())
            if due is None:
                await self._wake.wait()
            else:
                # Last results only waiting: stored when due, even if no result comes.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(due):
                        await self._wake.wait()
                if not self._wake.is_set():
                    await self._write(all_rollups=False)
                    continue
            if (
                self.linger_seconds > 0
                and len(self._results) < self.batch_size
                and not self._changes
                and not self._rollups_asked
            ):
                # Let more results arrive: fewer, larger transactions cost less.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.linger_seconds):
                        await self._urgent.wait()
            self._wake.clear()
            self._urgent.clear()
            while self.pending:
                await self._write(all_rollups=self._rollups_asked > 0)

    async def flush(self) -> None:
        """Wait until everything submitted so far is written (or given up), rollups included."""
        self._rollups_asked += 1
        self._submitted += 1  # the held rollups, written by the next batch
        target = self._submitted
        self._urgent.set()
        self._wake.set()
        async with self._progress:
            await self._progress.wait_for(lambda: self._done >= target)

    async def wait_written(self, count: int) -> None:
        """Wait until ``count`` results in all have been handled (stored, or given up on)."""
        async with self._progress:
            await self._progress.wait_for(lambda: self.results_written >= count)

    async def write_batch(self) -> None:
        """Write one batch now, with every rollup held in memory."""
        await self._write(all_rollups=True)

    async def _write(self, *, all_rollups: bool) -> None:
        # A backlog is taken whole (up to ``max_batch_size``): larger batches cost less each.
        size = self.batch_size if len(self._results) <= self.batch_size else self.max_batch_size
        results = self._results[:size]
        del self._results[:size]
        if self.before_batch is not None:
            self.submit_changes(self.before_batch())
        changes = list(self._changes)
        self._changes.clear()
        rollups_asked = self._rollups_asked if all_rollups else 0
        if all_rollups:
            self._rollups_asked = 0
        self._observe(results)
        rollups = self._take_rollups(results, every_minute=all_rollups)
        last_results = self.last_results
        for check_id, result in results:
            last_results.add(check_id, result)
        started = asyncio.get_running_loop().time()
        last = last_results.take(started, everything=all_rollups)
        for attempt in (1, 2):
            try:
                async with self.sessions() as session:
                    await _store(session, results, last, changes, rollups)
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
            self._done += len(results) + len(changes) + rollups_asked
            self.results_written += len(results)
            self._progress.notify_all()

    def _take_rollups(
        self, results: list[QueuedResult], *, every_minute: bool
    ) -> dict[RollupKey, Rollup]:
        """Merge ``results`` into the minutes held; take those to store now.

        A minute is stored once a result of a later minute has been taken (it is
        over, late runs aside: they are merged into the stored row), or with
        ``every_minute``.
        """
        held = self._rollups
        newest = self._newest_minute
        minute_rollups: dict[tuple[str, str], Rollup] = {}
        current: datetime | None = None
        for check_id, result in results:
            minute = minute_of(result.started_at)
            if minute != current:
                current = minute
                minute_rollups = held.setdefault(minute, {})
                if newest is None or minute > newest:
                    newest = minute
            key = (check_id, result.location)
            rollup = minute_rollups.get(key)
            if rollup is None:
                rollup = minute_rollups[key] = Rollup()
            rollup.add(result)
        self._newest_minute = newest
        closed_minutes = [minute for minute in held if every_minute or minute != newest]
        return {
            (check_id, location, minute): rollup
            for minute in closed_minutes
            for (check_id, location), rollup in held.pop(minute).items()
        }

    def _observe(self, results: list[QueuedResult]) -> None:
        if self.metrics is None:
            return
        observe = self.metrics.observe_result
        for check_id, result in results:
            observe(check_id, result)

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
    session: AsyncSession,
    results: list[QueuedResult],
    last: list[QueuedResult],
    changes: list[CheckChange | ServiceChange],
    rollups: dict[RollupKey, Rollup],
) -> None:
    if results:
        # Plain tuples in one executemany: no per-row ORM or statement bookkeeping.
        await _RESULT_ROWS.insert(session, results)
    if last:
        await _LAST_RESULT_ROWS.update(session, last)
    if rollups:
        await merge_rollups(session, rollups)
    if changes:
        await session.execute(
            insert(_core_table(StateChangeRecord)), [_history_row(c) for c in changes]
        )
        await _update_current_states(session, changes)


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


_RESULT_ROWS = ResultRows()
_LAST_RESULT_ROWS = LastResultRows()
