"""Signals in: store each, deduplicate into alerts, group alerts into incidents.

For each signal, in one transaction with the others of its request:

1. the signal is stored, whatever becomes of it (nothing is silently discarded);
2. ``trigger``: a firing alert with the same key is updated (deduplicated); otherwise a
   new alert joins an open incident sharing a grouping key, or, when its source sent
   more triggers in the last minute than its rate limit, the source's one "alert storm"
   incident, or opens an incident of its own. Alerts that never page by themselves
   (UNREACHABLE) only join;
3. ``resolve`` resolves the firing alert; when the last firing alert of an open
   incident resolves, the incident is resolved (``incidents.auto_resolve``);
4. ``acknowledge`` acknowledges the alert's triggered incident.

A batch costs a few statements whatever its size, so that a flood is absorbed as
fast as it arrives: the firing alerts are read together and their incidents locked
together, grouping keys seen are noted in one statement (``ingest_incidents``), the
open incident of a set of grouping keys is looked up once (until an incident opens,
gains a key or changes state), the firing alerts of an incident counted once; new
alerts and signal records (``signal_records``) are inserted together (numbered on
SQLite, see ``storage.row_ids``), and the alerts that join or resolve in an incident
share a timeline entry (``alert_entries``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.audit.actor import Actor
from garrison.config.incidents import IncidentsConfig
from garrison.i18n import gettext as _
from garrison.incidents.alert_entries import AlertEntries
from garrison.incidents.grouping import (
    ServiceFacts,
    group_keys_for,
    service_facts,
    storm_key,
)
from garrison.incidents.ingest_incidents import HeldIncidents
from garrison.incidents.ingest_memory import IngestionMemory
from garrison.incidents.models import Alert, Incident
from garrison.incidents.placement import (
    FIRING,
    RESOLVED,
    adopt_waiting_alerts,
    link_alert,
    open_for_alert,
    open_storm,
    raise_severity,
    raises_severity,
)
from garrison.incidents.policy import claim_ingestion, service_severity
from garrison.incidents.signal_records import Handled, Outcome, SignalResult, write_records
from garrison.incidents.signals import IncomingSignal, SignalAction, SourceKind, clip_summary
from garrison.incidents.timeline import TimelineKind
from garrison.incidents.transitions import acknowledge_incident, change_status
from garrison.incidents.vocabulary import IncidentStatus, Severity

_PREFETCH_CHUNK = 500


async def ingest_signals(
    session: AsyncSession, *, signals: Sequence[IncomingSignal], now: datetime
) -> list[SignalResult]:
    """Ingest ``signals`` in order (flushes, never commits); one result per signal."""
    return await ingest_built(session, build=lambda _policy: signals, count=len(signals), now=now)


async def ingest_built(
    session: AsyncSession,
    *,
    build: Callable[[IncidentsConfig], Sequence[IncomingSignal]],
    count: int,
    now: datetime,
) -> list[SignalResult]:
    """Like :func:`ingest_signals`, for signals made from the policy the claim returns.

    Saves reading the policy in a transaction of its own (the bus's detection alerts
    take their severity from it). ``count`` is how many signals ``build`` makes.
    """
    policy = await claim_ingestion(session, signals=count)
    signals = build(policy)
    ingestion = _Ingestion(session, policy=policy, now=now)
    await ingestion.prefetch(signals)
    handled = [await ingestion.handle(signal) for signal in signals]
    # Grouping keys seen, new alerts and timeline entries, then the signal records, are
    # written together (their ids are known after these flushes).
    await ingestion.incidents.settle_keys()
    await ingestion.entries.settle_all()
    await session.flush()
    return await write_records(session, handled=handled, memory=ingestion.memory, now=now)


def probe_summary(name: str, state: str, reason: str) -> str:
    summary = _("%(service)s is %(state)s") % {"service": name, "state": state}
    return f"{summary}: {reason}" if reason else summary


class _Ingestion:
    def __init__(self, session: AsyncSession, *, policy: IncidentsConfig, now: datetime) -> None:
        self.session = session
        self.policy = policy
        self.now = now
        self._facts: dict[str, ServiceFacts | None] = {}
        # The firing alert of each (source, dedup key) of the batch, read in one query
        # after the claim (which serialises ingestion, the only writer of ``open_key``)
        # and kept current as the batch creates and resolves alerts.
        self._firing: dict[tuple[str, str], Alert] = {}
        self.memory = IngestionMemory(
            session, now=now, window_seconds=policy.grouping.window_seconds
        )
        self.incidents = HeldIncidents(session, now=now, memory=self.memory)
        self._number_alerts = True
        self.entries = AlertEntries(session, now=now)

    async def prefetch(self, signals: Sequence[IncomingSignal]) -> None:
        pairs = {(signal.source, signal.dedup_key) for signal in signals}
        sources = sorted({source for source, _key in pairs})
        keys = sorted({key for _source, key in pairs})
        for chunk in range(0, len(keys), _PREFETCH_CHUNK):
            found = await self.session.scalars(
                select(Alert).where(
                    Alert.source.in_(sources),
                    Alert.open_key.in_(keys[chunk : chunk + _PREFETCH_CHUNK]),
                )
            )
            for alert in found:
                if alert.open_key is not None and (alert.source, alert.open_key) in pairs:
                    self._firing[(alert.source, alert.open_key)] = alert
        # Numbering new alerts costs a query: worth it for two or more (one executemany).
        triggers = {
            (signal.source, signal.dedup_key)
            for signal in signals
            if signal.action == SignalAction.TRIGGER
        }
        self._number_alerts = len(triggers - self._firing.keys()) > 1
        # Every signal of a firing alert reads its incident: locked together.
        await self.incidents.lock_many(
            alert.incident_id for alert in self._firing.values() if alert.incident_id is not None
        )

    async def handle(self, signal: IncomingSignal) -> Handled:
        facts = await self._service(signal.service_id)
        signal = self._enrich(signal, facts)
        alert = await self._firing_alert(signal)
        if signal.action == SignalAction.TRIGGER:
            outcome, alert = await self._trigger(signal, facts, alert)
            self.memory.trigger_handled(signal.source)
        elif signal.action == SignalAction.RESOLVE:
            outcome = await self._resolve(signal, alert)
        elif signal.action == SignalAction.ACKNOWLEDGE:
            outcome = await self._acknowledge(signal, alert)
        else:
            outcome = Outcome.KEPT
        # Its record is written at the end, with what became of it, in the same transaction.
        return Handled(
            signal=signal,
            outcome=outcome,
            alert=alert,
            incident_id=alert.incident_id if alert else None,
        )

    async def _raise_severity(self, incident: Incident, alert: Alert, actor: Actor) -> None:
        if raises_severity(incident, alert):
            await self.entries.settle(incident.id)
            await self.session.flush()  # the alert's id, which the audit entry names
            await raise_severity(
                self.session, incident=incident, alert=alert, actor=actor, now=self.now
            )

    async def _service(self, service_id: str | None) -> ServiceFacts | None:
        if service_id is None:
            return None
        if service_id not in self._facts:
            self._facts[service_id] = await service_facts(self.session, service_id=service_id)
        return self._facts[service_id]

    def _enrich(self, signal: IncomingSignal, facts: ServiceFacts | None) -> IncomingSignal:
        changes: dict[str, object] = {}
        if signal.severity is None:
            changes["severity"] = service_severity(
                self.policy,
                criticality=facts.criticality if facts else "normal",
                state=signal.service_state or "down",
            )
        if facts is not None:
            if signal.site_id is None and facts.site_id:
                changes["site_id"] = facts.site_id
            if signal.source_kind == SourceKind.PROBES:
                reason = str(signal.details.get("reason") or "")
                state = signal.service_state or ""
                changes["summary"] = clip_summary(probe_summary(facts.name, state, reason))
        return dataclasses.replace(signal, **changes) if changes else signal  # type: ignore[arg-type]

    def _actor(self, signal: IncomingSignal) -> Actor:
        return Actor(kind="system", id=signal.source, name=signal.source_name)

    async def _firing_alert(self, signal: IncomingSignal) -> Alert | None:
        return self._firing.get((signal.source, signal.dedup_key))

    def _rate_limit(self, signal: IncomingSignal) -> int:
        if signal.source_kind == SourceKind.PROBES:
            return self.policy.probes.rate_limit_per_minute
        if signal.source_kind == SourceKind.DETECTION:
            return self.policy.detection.rate_limit_per_minute
        return signal.rate_limit_per_minute or 120

    async def _trigger(
        self, signal: IncomingSignal, facts: ServiceFacts | None, alert: Alert | None
    ) -> tuple[Outcome, Alert]:
        severity = signal.severity or Severity.SEV3
        if alert is not None:
            await self._refresh(alert, signal, severity)
            return Outcome.DEDUPLICATED, alert
        keys = group_keys_for(signal, facts=facts, settings=self.policy.grouping)
        alert = Alert(
            source=signal.source,
            source_kind=signal.source_kind.value,
            dedup_key=signal.dedup_key,
            open_key=signal.dedup_key,
            status=FIRING,
            summary=signal.summary,
            severity=severity.value,
            category=signal.category.value,
            service_id=signal.service_id,
            site_id=signal.site_id,
            pages=signal.pages,
            is_drill=signal.is_drill,
            details=dict(signal.details),
            group_keys=list(keys),
            first_seen_at=self.now,
            last_seen_at=self.now,
            signal_count=1,
        )
        # Inserted with the batch's other new alerts, at the next flush.
        if self._number_alerts:
            await self.memory.number(alert)
        self.session.add(alert)
        self._firing[(alert.source, signal.dedup_key)] = alert
        return await self._place(alert, signal, facts), alert

    async def _refresh(self, alert: Alert, signal: IncomingSignal, severity: Severity) -> None:
        """A repeated trigger: the alert is updated; it may page harder than before."""
        worse = severity.is_worse_than(Severity(alert.severity))
        started_paging = signal.pages and not alert.pages
        alert.last_seen_at = self.now
        alert.signal_count += 1
        alert.summary = signal.summary
        alert.details = dict(signal.details)
        if worse:
            alert.severity = severity.value
        if started_paging:
            alert.pages = True
        if alert.incident_id is None:
            if started_paging:
                await self._place(alert, signal, None)
            return
        incident = await self.incidents.lock(alert.incident_id)
        if incident is None or not IncidentStatus(incident.status).is_open:
            return
        self.incidents.note_keys(incident.id, alert.group_keys)
        await self._raise_severity(incident, alert, self._actor(signal))

    async def _place(
        self, alert: Alert, signal: IncomingSignal, facts: ServiceFacts | None
    ) -> Outcome:
        incident = await self.incidents.find_open(alert.group_keys, is_drill=alert.is_drill)
        actor = self._actor(signal)
        if incident is not None:
            await self._join(incident, alert, actor, signal.source_name)
            return Outcome.GROUPED
        if not alert.pages:
            return Outcome.ALERT_RECORDED
        limit = self._rate_limit(signal)
        if await self.memory.recent_triggers(signal.source) > limit:
            storm = await self.incidents.find_open(
                [storm_key(signal.source)], is_drill=alert.is_drill
            )
            if storm is None:
                storm = await open_storm(
                    self.session,
                    signal=signal,
                    limit=limit,
                    policy=self.policy,
                    actor=actor,
                    now=self.now,
                )
                self.memory.forget_incidents()
            await self._join(storm, alert, actor, signal.source_name)
            return Outcome.STORM
        incident = await open_for_alert(
            self.session,
            alert=alert,
            signal=signal,
            facts=facts,
            policy=self.policy,
            actor=actor,
            now=self.now,
        )
        self.memory.forget_incidents()
        self.incidents.keys_added(incident.id, alert.group_keys)
        await self._join(incident, alert, actor, signal.source_name)
        await self.entries.settle(incident.id)
        adopted = await adopt_waiting_alerts(
            self.session, incident=incident, now=self.now, keys=alert.group_keys
        )
        if adopted:
            self.memory.forget_incidents()
            self.memory.forget_firing(incident.id)
        return Outcome.OPENED

    async def _join(self, incident: Incident, alert: Alert, actor: Actor, source: str) -> None:
        """Like ``placement.join_incident``, its timeline entry shared with the run's others."""
        self.incidents.hold(incident)  # found or opened with a lock (FOR UPDATE)
        await link_alert(self.session, incident=incident, alert=alert, now=self.now)
        self.memory.alert_joined(incident.id)
        self.incidents.note_keys(incident.id, alert.group_keys)
        await self.entries.note(
            incident_id=incident.id,
            kind=TimelineKind.ALERT,
            alert=alert,
            actor=actor,
            source_name=source,
        )
        await self._raise_severity(incident, alert, actor)

    async def _resolve(self, signal: IncomingSignal, alert: Alert | None) -> Outcome:
        if alert is None:
            return Outcome.NO_OPEN_ALERT
        alert.status = RESOLVED
        self._firing.pop((alert.source, signal.dedup_key), None)
        alert.open_key = None
        alert.resolved_at = alert.last_seen_at = self.now
        alert.signal_count += 1
        if alert.incident_id is None:
            return Outcome.RESOLVED
        self.memory.alert_resolved(alert.incident_id)
        incident = await self.incidents.lock(alert.incident_id)
        if incident is None:
            return Outcome.RESOLVED
        actor = self._actor(signal)
        await self.entries.note(
            incident_id=incident.id,
            kind=TimelineKind.ALERT_RESOLVED,
            alert=alert,
            actor=actor,
            source_name=signal.source_name,
        )
        if (
            self.policy.auto_resolve
            and IncidentStatus(incident.status).is_open
            and not await self.memory.firing_in(incident.id)
        ):
            await self.entries.settle(incident.id)
            self.memory.forget_incidents()
            await change_status(
                self.session,
                incident=incident,
                target=IncidentStatus.RESOLVED,
                actor=actor,
                now=self.now,
                note=_("Every alert of the incident has resolved."),
            )
        return Outcome.RESOLVED

    async def _acknowledge(self, signal: IncomingSignal, alert: Alert | None) -> Outcome:
        if alert is None:
            return Outcome.NO_OPEN_ALERT
        alert.last_seen_at = self.now
        alert.signal_count += 1
        await self.session.flush()
        if alert.incident_id is not None:
            incident = await self.incidents.lock(alert.incident_id)
            if incident is not None and incident.status == IncidentStatus.TRIGGERED.value:
                await self.entries.settle(incident.id)
                await acknowledge_incident(
                    self.session, incident=incident, actor=self._actor(signal), now=self.now
                )
        return Outcome.ACKNOWLEDGED
