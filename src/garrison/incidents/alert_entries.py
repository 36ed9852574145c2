"""The timeline entries of alerts joining or resolving, one for a run of them.

A flood used to write one entry per alert: ten thousand lines that buried the
people's notes and cost a flush each. Now, within one ingestion transaction,
consecutive alerts of one source that join (or resolve in) the same incident share
one entry: its data lists every alert (``alert_ids``, ``count``) with the first
one's summary, the worst severity, and ``event: "several"``. A single alert keeps
the entry it always had (``alert_id``, ``summary``, …). Anything else written on
that incident's timeline meanwhile — a severity raised, a state change — ends the
run first (:meth:`AlertEntries.settle`), so the timeline keeps its order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from garrison.audit.actor import Actor
from garrison.incidents.models import Alert, TimelineEntry
from garrison.incidents.timeline import SEVERAL, TimelineKind, timeline_entry
from garrison.incidents.vocabulary import Severity

# Alerts in one entry at most: their ids must fit the entry's bounded data.
MAX_ALERTS_PER_ENTRY = 1000


@dataclass(frozen=True, slots=True)
class _Noted:
    alert: Alert
    summary: str  # as they were when the alert joined or resolved
    severity: str


@dataclass(slots=True)
class _Run:
    kind: TimelineKind
    actor: Actor
    source_name: str
    alerts: list[_Noted] = field(default_factory=list)


class AlertEntries:
    """The runs of one transaction, by incident (see the module's documentation)."""

    def __init__(self, session: AsyncSession, *, now: datetime) -> None:
        self._session = session
        self._now = now
        self._runs: dict[int, _Run] = {}

    async def note(
        self,
        *,
        incident_id: int,
        kind: TimelineKind,
        alert: Alert,
        actor: Actor,
        source_name: str,
    ) -> None:
        run = self._runs.get(incident_id)
        if run is not None and (
            (run.kind, run.actor, run.source_name) != (kind, actor, source_name)
            or len(run.alerts) >= MAX_ALERTS_PER_ENTRY
        ):
            await self.settle(incident_id)
            run = None
        if run is None:
            run = self._runs[incident_id] = _Run(kind=kind, actor=actor, source_name=source_name)
        run.alerts.append(_Noted(alert=alert, summary=alert.summary, severity=alert.severity))

    async def settle(self, incident_id: int) -> None:
        """Write the incident's run now: something else is about to join its timeline."""
        run = self._runs.pop(incident_id, None)
        if run is not None:
            await self._session.flush()  # the alerts' ids
            self._session.add(self._entry(incident_id, run))

    async def settle_all(self) -> None:
        """Add every run's entry to the session (flushed with the transaction's rest)."""
        if self._runs:
            await self._session.flush()
            runs, self._runs = self._runs, {}
            self._session.add_all(self._entry(owner, run) for owner, run in runs.items())

    def _entry(self, incident_id: int, run: _Run) -> TimelineEntry:
        first = run.alerts[0]
        data: dict[str, Any] = {"summary": first.summary}
        if run.kind == TimelineKind.ALERT:
            worst = min((Severity(noted.severity) for noted in run.alerts), key=lambda s: s.rank)
            data |= {"source": run.source_name, "severity": worst.value}
        if len(run.alerts) == 1:
            data["alert_id"] = first.alert.id
        else:
            data |= {
                "event": SEVERAL,
                "count": len(run.alerts),
                "alert_ids": [noted.alert.id for noted in run.alerts],
            }
        return timeline_entry(
            incident_id=incident_id, kind=run.kind, at=self._now, actor=run.actor, data=data
        )
