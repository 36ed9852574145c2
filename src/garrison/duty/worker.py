"""The duty worker: missed check-ins and coming coverage gaps, announced on the bus once.

Every ``interval`` seconds of ``context.clock`` it reads the configuration (and the
run-time overrides and swaps), records every stretch whose check-in is overdue and
every gap under way or starting within 24 hours, then publishes ``CheckInMissed``
and ``CoverageGapDetected`` for what it recorded. Each post is recorded in its own
transaction, so a clash with a concurrent check-in spoils nothing else. A failing
round (unreadable configuration, database down) is logged and retried next round.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError

from garrison.bus.events import DomainEvent
from garrison.config import EventConfig
from garrison.duty.alerts import gaps_to_announce, record_gap_alert
from garrison.duty.checkin import record_missed_check_in
from garrison.duty.coverage import CoverageReport, Gap, check_coverage
from garrison.duty.events import CheckInMissed, CoverageGapDetected
from garrison.duty.models import CheckInRecord
from garrison.duty.oncall import who_is_on_duty
from garrison.duty.plan import DutyPlan
from garrison.duty.service import load_plan
from garrison.duty.source import running_event
from garrison.errors import GarrisonError
from garrison.runtime.context import AppContext

logger = logging.getLogger(__name__)

INTERVAL_SECONDS = 60.0


@dataclass(slots=True)
class DutyRound:
    """What one round found and announced."""

    missed: list[CheckInMissed] = field(default_factory=list)
    gaps: list[CoverageGapDetected] = field(default_factory=list)
    error: str | None = None


class DutyWorker:
    name = "duty"

    def __init__(
        self,
        context: AppContext,
        *,
        interval: float = INTERVAL_SECONDS,
        load_event: Callable[[], EventConfig | None] | None = None,
    ) -> None:
        self.context = context
        self.interval = interval
        self._load_event = load_event or (lambda: running_event(self.context.settings))
        self._last_coverage: tuple[EventConfig, Hashable, CoverageReport] | None = None

    async def run(self, started: Callable[[], None]) -> None:
        started()
        while True:
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("duty round failed; next round in %.0f s", self.interval)
            await self.context.clock.sleep(self.interval)

    async def run_once(self) -> DutyRound:
        result = DutyRound()
        try:
            # Reading (and, after a change, parsing) the file must not hold up the loop.
            config = await asyncio.to_thread(self._load_event)
        except GarrisonError as exc:
            logger.warning("duty round skipped: the configuration cannot be read: %s", exc)
            result.error = str(exc)
            return result
        if config is None:
            return result
        now = self.context.clock.now()
        async with self.context.sessions() as session:
            plan = await load_plan(session, config=config)
        grace = timedelta(minutes=config.duty.check_in_grace_minutes)
        for post_id in sorted(plan.posts):
            record = await self._record_missed(plan, post_id, grace, now)
            if record is not None:
                result.missed.append(_missed_event(config, plan, record, now))
        for gap in gaps_to_announce(self._coverage(config, plan).gaps, at=now):
            if await self._record_gap(gap, now):
                result.gaps.append(_gap_event(config, plan, gap, now))
        events: list[DomainEvent] = [*result.missed, *result.gaps]
        for event in events:
            await self.context.bus.publish(event)
        if events:
            logger.info(
                "duty: %d missed check-ins, %d coverage gaps announced",
                len(result.missed),
                len(result.gaps),
            )
        return result

    def _coverage(self, config: EventConfig, plan: DutyPlan) -> CoverageReport:
        """The plan's coverage, computed again only when the plan changed since last round."""
        key = _plan_key(plan)
        cached = self._last_coverage
        if cached is not None and cached[0] is config and cached[1] == key:
            return cached[2]
        report = check_coverage(plan)
        self._last_coverage = (config, key, report)
        return report

    async def _record_missed(
        self, plan: DutyPlan, post_id: str, grace: timedelta, now: datetime
    ) -> CheckInRecord | None:
        async with self.context.sessions() as session:
            try:
                record = await record_missed_check_in(
                    session, plan=plan, post_id=post_id, grace=grace, at=now
                )
                await session.commit()
            except IntegrityError:
                # The person checked in at this very moment: nothing was missed.
                await session.rollback()
                return None
        return record

    async def _record_gap(self, gap: Gap, now: datetime) -> bool:
        async with self.context.sessions() as session:
            try:
                new = await record_gap_alert(session, gap=gap, at=now)
                await session.commit()
            except IntegrityError:
                # Another worker announced it first.
                await session.rollback()
                return False
        return new


def _plan_key(plan: DutyPlan) -> Hashable:
    """What the run-time part of a plan is made of (the configuration is compared apart)."""
    return tuple(
        (
            post_id,
            post.overrides,
            tuple(tuple(sorted(layer.swaps.items())) for layer in post.layers),
        )
        for post_id, post in sorted(plan.posts.items())
    )


def _unit_of(config: EventConfig, post_id: str) -> tuple[str | None, str | None]:
    for post in config.organisation.posts:
        if post.id == post_id:
            leader = next((u.leader for u in config.organisation.units if u.id == post.unit), None)
            return post.unit, leader
    return None, None


def _missed_event(
    config: EventConfig, plan: DutyPlan, record: CheckInRecord, now: datetime
) -> CheckInMissed:
    commander_post = config.duty.commander_post
    commander = None if commander_post is None else who_is_on_duty(plan, commander_post, now)
    unit_id, leader_id = _unit_of(config, record.post_id)
    return CheckInMissed(
        occurred_at=now,
        post_id=record.post_id,
        person_id=record.person_id,
        shift_start=record.shift_start,
        shift_end=record.shift_end,
        due_at=record.due_at,
        commander_post_id=commander_post,
        commander_person_id=None if commander is None else commander.person,
        unit_id=unit_id,
        unit_leader_id=leader_id,
    )


def _gap_event(config: EventConfig, plan: DutyPlan, gap: Gap, now: datetime) -> CoverageGapDetected:
    before = who_is_on_duty(plan, gap.post, gap.start - timedelta(microseconds=1))
    unit_id, _leader = _unit_of(config, gap.post)
    return CoverageGapDetected(
        occurred_at=now,
        post_id=gap.post,
        starts_at=gap.start,
        ends_at=gap.end,
        unit_id=unit_id,
        previous_person_id=None if before is None else before.person,
    )
