"""What a daemon's earlier lines said about each of its sessions: small and bounded.

Some products log a failure on a line that names no address, and the address on an
earlier or a later line of the same process (sshd: ``Connection from …``, then
``error: kex_exchange_identification: …``). A parser keeps one ``SessionMemory`` per
log source, keyed by (log host, program, pid): sessions of two hosts, two programs or
two sources never mix. It holds at most ``capacity`` sessions (the least recently seen
goes first) and forgets a session not seen for ``max_age`` of log time (the line's own
time, else its arrival), so that a reused pid is a new session.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

from garrison.detection.parsers.base import Failure

DEFAULT_CAPACITY = 8192
# Longer than sshd's default LoginGraceTime (2 minutes): a session's pre-authentication
# lines all fall within it.
DEFAULT_MAX_AGE = timedelta(minutes=10)

# (log host, program, pid)
SessionKey = tuple[str | None, str, str]


@dataclass(slots=True)
class Session:
    """One process's facts, as far as its lines told them."""

    seen_at: datetime
    address: str | None = None
    # A failure whose line named no address, waiting for a line of the session that does.
    pending: Failure | None = None
    # The account of a PAM failure on this session ("" when PAM named none).
    pam_account: str | None = None


class SessionMemory:
    """A least-recently-seen memory of sessions, bounded in size and in age."""

    def __init__(
        self, *, capacity: int = DEFAULT_CAPACITY, max_age: timedelta = DEFAULT_MAX_AGE
    ) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self.max_age = max_age
        self._sessions: OrderedDict[SessionKey, Session] = OrderedDict()

    def __len__(self) -> int:
        return len(self._sessions)

    def get(self, key: SessionKey, now: datetime) -> Session | None:
        """The session, seen again at ``now``; ``None`` when unknown or too old."""
        session = self._sessions.get(key)
        if session is None:
            return None
        if self._expired(session, now):
            del self._sessions[key]
            return None
        session.seen_at = now
        self._sessions.move_to_end(key)
        return session

    def open(self, key: SessionKey, now: datetime) -> Session:
        """The session, created when unknown (evicting the oldest past the bounds)."""
        session = self.get(key, now)
        if session is not None:
            return session
        session = self._sessions[key] = Session(seen_at=now)
        self._evict(now)
        return session

    def forget(self, key: SessionKey) -> None:
        self._sessions.pop(key, None)

    def _expired(self, session: Session, now: datetime) -> bool:
        # Either way: a log read out of order by more than max_age is another session too.
        return abs(now - session.seen_at) > self.max_age

    def _evict(self, now: datetime) -> None:
        sessions = self._sessions
        while len(sessions) > self.capacity:
            sessions.popitem(last=False)
        # The least recently seen are first: drop them while they are too old.
        while len(sessions) > 1:
            oldest = next(iter(sessions.values()))
            if not self._expired(oldest, now):
                break
            sessions.popitem(last=False)
