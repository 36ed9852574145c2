"""Flap detection: a check that keeps changing is reported once, as FLAPPING.

A check enters FLAPPING when its confirmed state (UP/DOWN) changes more than
``max_changes`` times within ``window`` seconds. It leaves FLAPPING once its
confirmed state has not changed for a whole ``window``: the change back to UP or
DOWN is then reported, once.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta


class FlapDetector:
    def __init__(self, *, window_seconds: float, max_changes: int) -> None:
        self.window = timedelta(seconds=window_seconds)
        self.max_changes = max_changes
        self._changes: deque[datetime] = deque()

    def record_change(self, at: datetime) -> None:
        self._changes.append(at)
        self._forget_before(at - self.window)

    def changes_within_window(self, at: datetime) -> int:
        self._forget_before(at - self.window)
        return len(self._changes)

    def is_excessive(self, at: datetime) -> bool:
        return self.changes_within_window(at) > self.max_changes

    def settled(self, at: datetime) -> bool:
        """No change for a whole window (``at`` included)."""
        return self.changes_within_window(at) == 0

    def _forget_before(self, limit: datetime) -> None:
        # A change exactly one window ago has left the window.
        while self._changes and self._changes[0] <= limit:
            self._changes.popleft()
