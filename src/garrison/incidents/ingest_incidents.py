"""The incidents one ingestion transaction holds: locked once, their grouping keys noted together.

A repeated trigger of a firing alert touches its incident twice: the incident is read
and locked (is it open? does the alert raise its severity?) and its grouping keys are
noted as seen now. Done per signal, that was two statements for every repeat. Here
the incidents of the batch's firing alerts are locked by one query, and the keys seen
are noted by one statement when something needs them current — before an open
incident is looked up by key, and at the end of the batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.incidents.ingest_memory import IngestionMemory
from garrison.incidents.models import Incident
from garrison.incidents.service import add_group_keys, note_group_keys_seen

_LOCK_CHUNK = 500


class HeldIncidents:
    def __init__(self, session: AsyncSession, *, now: datetime, memory: IngestionMemory) -> None:
        self._session = session
        self._now = now
        self._memory = memory
        # Incidents locked by this transaction: nobody else changes them until it ends,
        # and its own changes go through these objects. None: not found.
        self._locked: dict[int, Incident | None] = {}
        # (incident, grouping key) noted as seen ``now`` by this transaction, or about to be.
        self._noted: set[tuple[int, str]] = set()
        self._pending: list[tuple[int, str]] = []

    async def lock_many(self, incident_ids: Iterable[int]) -> None:
        """Lock these incidents (those not held yet), one query for them all."""
        wanted = sorted(set(incident_ids) - self._locked.keys())
        for start in range(0, len(wanted), _LOCK_CHUNK):
            chunk = wanted[start : start + _LOCK_CHUNK]
            query = (
                select(Incident)
                .where(Incident.id.in_(chunk))
                .with_for_update()
                .execution_options(populate_existing=True)
            )
            found = {incident.id: incident for incident in await self._session.scalars(query)}
            for incident_id in chunk:
                self._locked[incident_id] = found.get(incident_id)

    async def lock(self, incident_id: int) -> Incident | None:
        if incident_id not in self._locked:
            await self.lock_many([incident_id])
        return self._locked[incident_id]

    def hold(self, incident: Incident) -> None:
        """An incident found or opened with a lock by this transaction."""
        self._locked[incident.id] = incident

    def note_keys(self, incident_id: int, keys: Iterable[str]) -> None:
        """The incident's alert was seen now with ``keys``: noted with the others later."""
        for key in keys:
            if (incident_id, key) not in self._noted:
                self._noted.add((incident_id, key))
                self._pending.append((incident_id, key))

    def keys_added(self, incident_id: int, keys: Iterable[str]) -> None:
        """These keys were written just now (an incident opened with them)."""
        self._noted.update((incident_id, key) for key in keys)

    async def settle_keys(self) -> None:
        """Write the keys noted so far: one statement when the incidents know them all."""
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        if not await note_group_keys_seen(self._session, pairs=pending, now=self._now):
            by_incident: dict[int, list[str]] = {}
            for incident_id, key in pending:
                by_incident.setdefault(incident_id, []).append(key)
            for incident_id, keys in by_incident.items():
                await add_group_keys(
                    self._session, incident_id=incident_id, keys=keys, now=self._now
                )
        # A key seen now may bring an incident back into the grouping window.
        self._memory.forget_incidents()

    async def find_open(self, keys: Sequence[str], *, is_drill: bool) -> Incident | None:
        """The open incident alerts with ``keys`` join, locked; the keys noted so far count."""
        await self.settle_keys()
        found = await self._memory.open_incident(keys, is_drill=is_drill)
        if found is not None:
            self.hold(found)  # found FOR UPDATE
        return found
