"""The engine's judgement: results in, state changes out — synchronous, no I/O.

Everything here runs between two ``await``s of the probe path, so it must stay
cheap and never block: it only updates in-memory state and returns the changes,
which the batch writer stores and publishes. ``observe`` judges one result for
its check (microseconds); ``settle`` judges every service once for all the check
changes since the last call (milliseconds) and is called as each writer batch is
taken, so a burst of failures costs one service evaluation, not hundreds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from garrison.config.checks import Check
from garrison.i18n import gettext as _
from garrison.probes.confirmation import CheckConfirmation, Transition
from garrison.probes.flapping import FlapDetector
from garrison.probes.maintenance import ActiveMaintenance, MaintenanceCalendar
from garrison.probes.plan import ProbePlan
from garrison.probes.results import CheckResult
from garrison.probes.service_state import ServiceInput, ServiceStatus, evaluate_services
from garrison.probes.states import CheckState, ServiceState


@dataclass(frozen=True, slots=True)
class CheckChange:
    check_id: str
    service_id: str | None
    previous: CheckState
    current: CheckState
    at: datetime
    reason: str
    in_maintenance: bool
    evidence: tuple[CheckResult, ...] = ()
    # Only the maintenance flag moved: kept in the history, not published.
    history_only: bool = False


@dataclass(frozen=True, slots=True)
class ServiceChange:
    service_id: str
    previous: ServiceState
    status: ServiceStatus
    at: datetime
    checks: dict[str, str]
    evidence: tuple[CheckResult, ...] = ()
    # Neither the state nor its cause moved (only what is measured under maintenance).
    history_only: bool = False


@dataclass(slots=True)
class Judgement:
    checks: list[CheckChange] = field(default_factory=list)
    services: list[ServiceChange] = field(default_factory=list)
    retry_soon: bool = False

    def extend(self, other: Judgement) -> None:
        self.checks.extend(other.checks)
        self.services.extend(other.services)


# What most runs bring: nothing (shared, never extended).
_NOTHING = Judgement()
_RETRY_SOON = Judgement(retry_soon=True)


@dataclass(frozen=True, slots=True)
class RestoredCheck:
    state: CheckState
    since: datetime
    paused: bool = False


class ProbeEngine:
    def __init__(
        self,
        plan: ProbePlan,
        *,
        calendar: MaintenanceCalendar,
        now: datetime,
        restored_checks: Mapping[str, RestoredCheck] | None = None,
        restored_services: Mapping[str, ServiceStatus] | None = None,
    ) -> None:
        self.plan = plan
        self.calendar = calendar
        self.active: ActiveMaintenance = calendar.active_at(now)
        restored = restored_checks or {}
        self.paused = {check_id for check_id, saved in restored.items() if saved.paused}
        self._machines: dict[tuple[str, str], CheckConfirmation] = {}
        self.check_states: dict[str, CheckState] = {}
        for check in plan.checks.values():
            saved = restored.get(check.id)
            initial = saved.state if saved is not None else CheckState.UNKNOWN
            for location in check.locations:
                self._machines[(check.id, location)] = self._machine(
                    check, initial=initial, since=saved.since if saved else now
                )
            self.check_states[check.id] = self._overall(check)
        self.service_statuses: dict[str, ServiceStatus] = dict(restored_services or {})
        self._dirty_at: datetime | None = None
        self._pending_evidence: dict[str, tuple[datetime, tuple[CheckResult, ...]]] = {}
        self.startup = self._reevaluate_services(now)

    # -- inputs ---------------------------------------------------------------------------

    def observe(self, check_id: str, result: CheckResult) -> Judgement:
        """The changes ``result`` brings (most runs bring none: then a shared, empty
        judgement is answered, which the caller must not extend)."""
        check = self.plan.checks.get(check_id)
        machine = self._machines.get((check_id, result.location))
        if check is None or machine is None or check_id in self.paused:
            return _NOTHING
        transition = machine.observe(result)
        if transition is None:
            return _RETRY_SOON if machine.awaiting_confirmation else _NOTHING
        # Services are judged later, once for many check changes (see ``settle``).
        judgement = self._check_moved(check, transition, result.started_at)
        judgement.retry_soon = machine.awaiting_confirmation
        return judgement

    def settle(self) -> Judgement:
        """Service states after the check changes so far: one evaluation for all of them.

        Judging every service costs milliseconds; doing it once per check change
        would stall probing when an uplink cut fails hundreds of checks at once.
        """
        if self._dirty_at is None:
            return Judgement()
        changes = self._reevaluate_services(self._dirty_at)
        self._dirty_at = None
        self._pending_evidence.clear()
        return Judgement(services=changes)

    def set_paused(self, check_id: str, *, paused: bool, at: datetime, reason: str) -> Judgement:
        check = self.plan.checks.get(check_id)
        if check is None or (check_id in self.paused) == paused:
            return Judgement()
        if paused:
            self.paused.add(check_id)
        else:
            self.paused.discard(check_id)
        for location in check.locations:
            self._machines[(check_id, location)] = self._machine(check)
        current = CheckState.PAUSED if paused else CheckState.UNKNOWN
        judgement = self._check_moved(
            check, Transition(self.check_states[check_id], current, at, reason), at
        )
        judgement.extend(self.settle())
        return judgement

    def replan(self, plan: ProbePlan, *, calendar: MaintenanceCalendar, at: datetime) -> Judgement:
        """Watch ``plan`` from now on, keeping what is known of the checks that stay.

        An unchanged check keeps its confirmation state as it is; a changed one starts
        again from its last state; a new one is UNKNOWN; a removed one is forgotten.
        Services are judged again at once.
        """
        old_checks, old_states = self.plan.checks, self.check_states
        machines: dict[tuple[str, str], CheckConfirmation] = {}
        for check in plan.checks.values():
            previous = old_states.get(check.id, CheckState.UNKNOWN)
            for location in check.locations:
                kept = self._machines.get((check.id, location))
                if kept is not None and old_checks.get(check.id) == check:
                    machines[(check.id, location)] = kept
                else:
                    machines[(check.id, location)] = self._machine(
                        check, initial=previous, since=at
                    )
        self.plan = plan
        self.paused &= set(plan.checks)
        self._machines = machines
        self.check_states = {check.id: self._overall(check) for check in plan.checks.values()}
        self.service_statuses = {
            key: value for key, value in self.service_statuses.items() if key in plan.services
        }
        self._pending_evidence = {
            key: value for key, value in self._pending_evidence.items() if key in plan.services
        }
        judgement = self.set_calendar(calendar, at)
        self._dirty_at = max(self._dirty_at or at, at)
        judgement.extend(self.settle())
        return judgement

    def set_calendar(self, calendar: MaintenanceCalendar, at: datetime) -> Judgement:
        self.calendar = calendar
        return self.refresh_maintenance(at)

    def refresh_maintenance(self, at: datetime) -> Judgement:
        """Windows opening or closing: flags on checks, MAINTENANCE on services."""
        before = self.active
        self.active = self.calendar.active_at(at)
        judgement = Judgement()
        if before == self.active:
            return judgement
        for check in self.plan.checks.values():
            was = before.covers_check(check.id, check.service)
            now = self.active.covers_check(check.id, check.service)
            if was != now:
                state = self.check_states[check.id]
                reason = _("maintenance began") if now else _("maintenance ended")
                judgement.checks.append(
                    CheckChange(check.id, check.service, state, state, at, reason, now, (), True)
                )
        self._dirty_at = max(self._dirty_at or at, at)
        judgement.extend(self.settle())
        return judgement

    # -- state ------------------------------------------------------------------------------

    def in_maintenance(self, check: Check) -> bool:
        return self.active.covers_check(check.id, check.service)

    def _machine(
        self,
        check: Check,
        *,
        initial: CheckState = CheckState.UNKNOWN,
        since: datetime | None = None,
    ) -> CheckConfirmation:
        return CheckConfirmation(
            fail_after=check.fail_after,
            recover_after=check.recover_after,
            flapping=FlapDetector(
                window_seconds=self.plan.flapping_window,
                max_changes=self.plan.flapping_max_changes,
            ),
            initial=initial,
            since=since,
        )

    def _overall(self, check: Check) -> CheckState:
        """One state from every location: DOWN when the quorum of locations sees it down."""
        if check.id in self.paused:
            return CheckState.PAUSED
        states = [self._machines[(check.id, location)].state for location in check.locations]
        if states.count(CheckState.DOWN) >= self.plan.quorum_for(check):
            return CheckState.DOWN
        for state in (CheckState.FLAPPING, CheckState.UP):
            if state in states:
                return state
        return CheckState.UNKNOWN

    def _check_moved(self, check: Check, transition: Transition, at: datetime) -> Judgement:
        previous = self.check_states[check.id]
        current = self._overall(check)
        judgement = Judgement()
        if current == previous:
            return judgement
        self.check_states[check.id] = current
        judgement.checks.append(
            CheckChange(
                check_id=check.id,
                service_id=check.service,
                previous=previous,
                current=current,
                at=at,
                reason=transition.reason,
                in_maintenance=self.in_maintenance(check),
                evidence=transition.evidence,
            )
        )
        self._dirty_at = max(self._dirty_at or at, at)
        if check.service is not None:
            self._pending_evidence[check.service] = (at, transition.evidence)
        return judgement

    def _evidence_for(
        self, service_id: str, status: ServiceStatus
    ) -> tuple[datetime | None, tuple[CheckResult, ...]]:
        """What moved a service: its own check's change, else its root cause's."""
        for source in (service_id, status.caused_by):
            if source is not None and source in self._pending_evidence:
                return self._pending_evidence[source]
        return None, ()

    def _reevaluate_services(self, at: datetime) -> list[ServiceChange]:
        inputs = [self._service_input(service_id) for service_id in self.plan.services]
        changes: list[ServiceChange] = []
        for service_id, status in evaluate_services(inputs).items():
            old = self.service_statuses.get(service_id)
            self.service_statuses[service_id] = status
            if old is not None and _key(old) == _key(status):
                continue  # the same state in other words: nothing to record
            old_key = (old.state, old.caused_by, old.in_maintenance) if old else None
            moved_at, evidence = self._evidence_for(service_id, status)
            changes.append(
                ServiceChange(
                    service_id=service_id,
                    previous=old.state if old else ServiceState.UNKNOWN,
                    status=status,
                    at=moved_at or at,
                    checks={
                        check.id: self.check_states[check.id].value
                        for check in self.plan.checks_of(service_id)
                    },
                    evidence=evidence,
                    history_only=old_key == (status.state, status.caused_by, status.in_maintenance),
                )
            )
        return changes

    def _service_input(self, service_id: str) -> ServiceInput:
        service = self.plan.services[service_id]
        checks = self.plan.checks_of(service_id)
        return ServiceInput(
            id=service_id,
            checks={check.id: self.check_states[check.id] for check in checks},
            checks_in_maintenance=frozenset(
                check.id for check in checks if check.id in self.active.checks
            ),
            in_maintenance=self.active.covers_service(service_id),
            depends_on=service.depends_on,
            group=service.redundancy.group if service.redundancy else None,
            primary=self.plan.is_primary(service_id),
        )


def _key(status: ServiceStatus) -> tuple[object, ...]:
    return (status.state, status.measured, status.caused_by, status.in_maintenance)
