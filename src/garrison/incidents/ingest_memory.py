"""What one ingestion transaction remembers, so that a batch's signals share their reads.

A flood of alerts joining one incident used to look that incident up, count the
source's recent triggers and count the incident's firing alerts once per alert. Here
each is read once per transaction and then kept current by the ingestion itself: the
claim serialises ingestion and the incidents it touches are locked, so nobody else
changes them before the commit. The ingestion says what it changed
(:meth:`IngestionMemory.forget_incidents`, :meth:`alert_joined`, …).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.incidents.grouping import find_open_incident, recent_triggers
from garrison.incidents.models import Alert, Incident, SignalRecord
from garrison.incidents.placement import FIRING
from garrison.storage.row_ids import RowIds


class IngestionMemory:
    def __init__(self, session: AsyncSession, *, now: datetime, window_seconds: float) -> None:
        self._session = session
        self._now = now
        self._window_seconds = window_seconds
        # The open incident found for (grouping keys, drill); None: none.
        self._found: dict[tuple[frozenset[str], bool], Incident | None] = {}
        # Trigger signals per source: stored before this transaction, handled in it.
        self._stored_triggers: dict[str, int] = {}
        self._triggers: dict[str, int] = {}
        # Firing alerts per incident, once counted.
        self._firing: dict[int, int] = {}
        # The claim has taken SQLite's write lock: new rows can be numbered here.
        self._row_ids = RowIds(session)

    async def open_incident(self, keys: Sequence[str], *, is_drill: bool) -> Incident | None:
        """The open incident alerts with ``keys`` join (found and locked once)."""
        wanted = (frozenset(keys), is_drill)
        if wanted not in self._found:
            self._found[wanted] = await find_open_incident(
                self._session,
                keys=keys,
                is_drill=is_drill,
                now=self._now,
                window_seconds=self._window_seconds,
            )
        return self._found[wanted]

    def forget_incidents(self) -> None:
        """An incident opened, gained or refreshed a grouping key, or changed state."""
        self._found.clear()

    def trigger_handled(self, source: str) -> None:
        self._triggers[source] = self._triggers.get(source, 0) + 1

    async def recent_triggers(self, source: str) -> int:
        """Trigger signals of ``source`` in the last minute, the one being handled included."""
        if source not in self._stored_triggers:
            self._stored_triggers[source] = await recent_triggers(
                self._session, source=source, now=self._now
            )
        # This transaction's signals are stored at its end: counted as they are handled.
        return self._stored_triggers[source] + self._triggers.get(source, 0) + 1

    async def firing_in(self, incident_id: int) -> int:
        """The incident's firing alerts: counted once, after a flush of every change so far."""
        if incident_id not in self._firing:
            firing = await self._session.scalar(
                select(func.count(Alert.id)).where(
                    Alert.incident_id == incident_id, Alert.status == FIRING
                )
            )
            self._firing[incident_id] = int(firing or 0)
        return self._firing[incident_id]

    def alert_joined(self, incident_id: int) -> None:
        if incident_id in self._firing:
            self._firing[incident_id] += 1

    def alert_resolved(self, incident_id: int) -> None:
        if incident_id in self._firing:
            self._firing[incident_id] -= 1

    def forget_firing(self, incident_id: int) -> None:
        """Alerts joined the incident some other way (adopted): count them again."""
        self._firing.pop(incident_id, None)

    async def number(self, row: Alert | SignalRecord) -> None:
        """Give a new row its id on SQLite, so that the batch's rows go in one executemany."""
        number = await self._row_ids.next_id(row.__table__)
        if number is not None:
            row.id = number
