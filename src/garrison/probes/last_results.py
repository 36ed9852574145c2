"""Each check's last result: held in memory, stored when it says something new.

The API shows a check's last result from its state row (``last_result_at``,
``last_ok``, ``last_reason``, ``last_latency_ms``, ``last_details``). Rewriting
that row for every run would cost one UPDATE per run; instead the writer keeps
the newest result of each check here and stores, with each batch, only those
whose outcome (passed or not, reason, severity) differs from what the row says,
or that carry a content snapshot. The others are stored together every
``flush_seconds`` (and on every flush of the writer), so the time and latency the
API shows are at most that old while a change of outcome is there with its batch.
"""

from __future__ import annotations

from garrison.probes.models import REASON_LENGTH
from garrison.probes.results import CheckResult

DEFAULT_FLUSH_SECONDS = 10.0
SNAPSHOT_KEY = "snapshot"

_Outcome = tuple[bool, str, str | None]


def _outcome(result: CheckResult) -> _Outcome:
    return (result.ok, result.reason[:REASON_LENGTH], result.severity)


class LastResults:
    def __init__(self, *, flush_seconds: float = DEFAULT_FLUSH_SECONDS) -> None:
        self.flush_seconds = flush_seconds
        # The newest result of each check not stored yet.
        self._waiting: dict[str, CheckResult] = {}
        # Those of them that say something new: decided as each result is added, so
        # that taking them costs the news, not one look at every check.
        self._news: dict[str, CheckResult] = {}
        # What each check's row says (its outcome), as far as this writer stored it.
        self._stored: dict[str, _Outcome] = {}
        self._stored_at: float | None = None

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def add(self, check_id: str, result: CheckResult) -> None:
        known = self._waiting.get(check_id)
        if known is not None and result.started_at < known.started_at:
            return
        self._waiting[check_id] = result
        if self._stored.get(check_id) != _outcome(result) or SNAPSHOT_KEY in result.details:
            self._news[check_id] = result
        else:
            self._news.pop(check_id, None)

    def due_in(self, now: float) -> float | None:
        """Seconds until the periodic store is due (None: nothing waits)."""
        if not self._waiting:
            return None
        if self._stored_at is None:
            return 0.0
        return max(0.0, self._stored_at + self.flush_seconds - now)

    def take(self, now: float, *, everything: bool = False) -> list[tuple[str, CheckResult]]:
        """The results to store now: all of them when due (or asked), else the news only."""
        waiting = self._waiting
        if not waiting:
            return []
        if everything or self._stored_at is None or now - self._stored_at >= self.flush_seconds:
            taken = list(waiting.items())
            waiting.clear()
            self._stored_at = now
        else:
            taken = list(self._news.items())
            for check_id, _result in taken:
                del waiting[check_id]
        self._news.clear()
        stored = self._stored
        for check_id, result in taken:
            stored[check_id] = _outcome(result)
        return taken
