"""The per-check state machine: one failed run is not an outage, one good run is not a recovery.

For one check at one location:

- UNKNOWN until the first confirmation.
- DOWN after ``fail_after`` failed runs in a row (the scheduler re-runs sooner,
  at ``retry_interval``, while a failure is not yet confirmed).
- UP after ``recover_after`` passing runs in a row.
- FLAPPING when the confirmed state changed too often (see :mod:`.flapping`);
  reported once, and left once the state has been stable for the window.

``observe`` returns the change of the *reported* state, with the runs that
confirmed it (newest first), or None.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime

from garrison.i18n import gettext as _
from garrison.probes.flapping import FlapDetector
from garrison.probes.results import CheckResult
from garrison.probes.states import CheckState

_CONFIRMED = (CheckState.UP, CheckState.DOWN)


@dataclass(frozen=True, slots=True)
class Transition:
    previous: CheckState
    current: CheckState
    at: datetime
    reason: str
    evidence: tuple[CheckResult, ...] = ()


class CheckConfirmation:
    def __init__(
        self,
        *,
        fail_after: int,
        recover_after: int,
        flapping: FlapDetector,
        initial: CheckState = CheckState.UNKNOWN,
        since: datetime | None = None,
    ) -> None:
        self.fail_after = fail_after
        self.recover_after = recover_after
        self.flapping = flapping
        self.state: CheckState = initial if initial != CheckState.PAUSED else CheckState.UNKNOWN
        self.confirmed: CheckState = self.state if self.state in _CONFIRMED else CheckState.UNKNOWN
        if self.state == CheckState.FLAPPING and since is not None:
            # Still flapping after a restart: it must be stable for a window to leave.
            flapping.record_change(since)
        self.failures = 0
        self.successes = 0
        self._recent: deque[CheckResult] = deque(maxlen=max(fail_after, recover_after, 3))

    @property
    def awaiting_confirmation(self) -> bool:
        """A failure is seen but not yet confirmed: worth running again soon."""
        return 0 < self.failures < self.fail_after and self.confirmed != CheckState.DOWN

    def observe(self, result: CheckResult) -> Transition | None:
        self._recent.appendleft(result)
        if result.ok:
            self.successes += 1
            self.failures = 0
        else:
            self.failures += 1
            self.successes = 0
        confirmed = self._confirm()
        at = result.started_at
        flipped = confirmed != self.confirmed
        if flipped:
            if self.confirmed in _CONFIRMED:
                self.flapping.record_change(at)
            self.confirmed = confirmed
        if self.state == CheckState.FLAPPING:
            if self.flapping.settled(at) and self.confirmed in _CONFIRMED:
                return self._move(self.confirmed, at, _("stable again for the flapping window"))
            return None
        if flipped and self.flapping.is_excessive(at):
            reason = _("changed state %(count)d times within %(seconds)d s") % {
                "count": self.flapping.changes_within_window(at),
                "seconds": int(self.flapping.window.total_seconds()),
            }
            return self._move(CheckState.FLAPPING, at, reason)
        if flipped:
            return self._move(confirmed, at, self._confirmation_reason(result))
        return None

    def _confirm(self) -> CheckState:
        if self.successes >= self.recover_after and self.confirmed != CheckState.UP:
            return CheckState.UP
        if self.failures >= self.fail_after and self.confirmed != CheckState.DOWN:
            return CheckState.DOWN
        return self.confirmed

    def _confirmation_reason(self, result: CheckResult) -> str:
        if result.ok:
            return _("%(count)d passing run(s) in a row") % {"count": self.successes}
        return _("%(count)d failed run(s) in a row: %(reason)s") % {
            "count": self.failures,
            "reason": result.reason,
        }

    def _move(self, state: CheckState, at: datetime, reason: str) -> Transition:
        previous = self.state
        self.state = state
        if state == CheckState.DOWN:
            count = self.failures
        elif state == CheckState.UP:
            count = self.successes
        else:
            count = len(self._recent)
        evidence = tuple(list(self._recent)[: max(count, 1)])
        return Transition(previous=previous, current=state, at=at, reason=reason, evidence=evidence)
