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
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.audit.actor import Actor
from garrison.config.incidents import IncidentsConfig
from garrison.i18n import gettext as _
from garrison.incidents.grouping import (
    ServiceFacts,
    find_open_incident,
    group_keys_for,
    lock_incident,
    recent_triggers,
    service_facts,
    storm_key,
)
from garrison.incidents.models import Alert, Incident, SignalRecord
from garrison.incidents.placement import (
    FIRING,
    RESOLVED,
    adopt_waiting_alerts,
    join_incident,
    open_for_alert,
    open_storm,
    raise_severity,
)
from garrison.incidents.policy import claim_ingestion, service_severity
from garrison.incidents.service import (
    add_group_keys,
)
from garrison.incidents.signals import IncomingSignal, SignalAction, SourceKind, clip_summary
from garrison.incidents.timeline import TimelineKind, add_timeline_entry
from garrison.incidents.transitions import acknowledge_incident, change_status
from garrison.incidents.vocabulary import IncidentStatus, Severity

_PREFETCH_CHUNK = 500


class Outcome(StrEnum):
    OPENED = "opened"  # a new alert opened an incident
    GROUPED = "grouped"  # a new alert joined an open incident
    STORM = "storm"  # a new alert joined its source's alert-storm incident
    ALERT_RECORDED = "alert_recorded"  # a new alert that does not page by itself
    DEDUPLICATED = "deduplicated"  # the alert was already firing
    RESOLVED = "resolved"
    ACKNOWLEDGED = "acknowledged"
    NO_OPEN_ALERT = "no_open_alert"  # resolve/acknowledge for a key with no firing alert
    KEPT = "kept"  # stored only (maintenance, unknown state)


@dataclass(frozen=True, slots=True)
class SignalResult:
    signal_id: int
    dedup_key: str
    outcome: Outcome
    alert_id: int | None = None
    incident_id: int | None = None


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
    # The signal records are written together (their ids are known after this flush).
    await session.flush()
    return [
        SignalResult(
            signal_id=record.id,
            dedup_key=record.dedup_key,
            outcome=outcome,
            alert_id=record.alert_id,
            incident_id=record.incident_id,
        )
        for record, outcome in handled
    ]


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
        # Incidents locked by this transaction: nobody else changes them until it ends,
        # and its own changes go through these objects. None: not found.
        self._locked: dict[int, Incident | None] = {}
        # (incident, grouping key) already noted as seen ``now`` by this transaction.
        self._keys_noted: set[tuple[int, str]] = set()

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

    async def handle(self, signal: IncomingSignal) -> tuple[SignalRecord, Outcome]:
        facts = await self._service(signal.service_id)
        signal = self._enrich(signal, facts)
        alert = await self._firing_alert(signal)
        if signal.action == SignalAction.TRIGGER:
            outcome, alert = await self._trigger(signal, facts, alert)
        elif signal.action == SignalAction.RESOLVE:
            outcome = await self._resolve(signal, alert)
        elif signal.action == SignalAction.ACKNOWLEDGE:
            outcome = await self._acknowledge(signal, alert)
        else:
            outcome = Outcome.KEPT
        # Written last, with what became of it, in the same transaction as the rest.
        record = SignalRecord(
            received_at=self.now,
            source=signal.source,
            source_kind=signal.source_kind.value,
            action=signal.action.value,
            dedup_key=signal.dedup_key,
            summary=signal.summary,
            severity=signal.severity.value if signal.severity else None,
            is_drill=signal.is_drill,
            payload={
                "occurred_at": signal.occurred_at.isoformat() if signal.occurred_at else None,
                "service_id": signal.service_id,
                "group": signal.group,
                "details": dict(signal.details),
            },
            outcome=outcome.value,
            alert_id=alert.id if alert else None,
            incident_id=alert.incident_id if alert else None,
        )
        self.session.add(record)
        return record, outcome

    async def _lock(self, incident_id: int) -> Incident | None:
        if incident_id not in self._locked:
            self._locked[incident_id] = await lock_incident(self.session, incident_id=incident_id)
        return self._locked[incident_id]

    async def _note_keys(self, incident_id: int, keys: list[str]) -> None:
        fresh = [key for key in keys if (incident_id, key) not in self._keys_noted]
        if fresh:
            await add_group_keys(self.session, incident_id=incident_id, keys=fresh, now=self.now)
            self._keys_noted.update((incident_id, key) for key in fresh)

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
        self.session.add(alert)
        await self.session.flush()
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
        incident = await self._lock(alert.incident_id)
        if incident is None or not IncidentStatus(incident.status).is_open:
            return
        await self._note_keys(incident.id, list(alert.group_keys))
        await raise_severity(
            self.session, incident=incident, alert=alert, actor=self._actor(signal), now=self.now
        )

    async def _place(
        self, alert: Alert, signal: IncomingSignal, facts: ServiceFacts | None
    ) -> Outcome:
        incident = await find_open_incident(
            self.session,
            keys=alert.group_keys,
            is_drill=alert.is_drill,
            now=self.now,
            window_seconds=self.policy.grouping.window_seconds,
        )
        actor = self._actor(signal)
        if incident is not None:
            await self._join(incident, alert, actor, signal.source_name)
            return Outcome.GROUPED
        if not alert.pages:
            return Outcome.ALERT_RECORDED
        limit = self._rate_limit(signal)
        # The signal being handled is stored last: count it here.
        recent = await recent_triggers(self.session, source=signal.source, now=self.now) + 1
        if recent > limit:
            storm = await find_open_incident(
                self.session,
                keys=[storm_key(signal.source)],
                is_drill=alert.is_drill,
                now=self.now,
                window_seconds=self.policy.grouping.window_seconds,
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
        await self._join(incident, alert, actor, signal.source_name)
        await adopt_waiting_alerts(self.session, incident=incident, now=self.now)
        return Outcome.OPENED

    async def _join(self, incident: Incident, alert: Alert, actor: Actor, source: str) -> None:
        await join_incident(
            self.session,
            incident=incident,
            alert=alert,
            actor=actor,
            source_name=source,
            now=self.now,
        )
        # Found or opened with a lock (FOR UPDATE), its keys noted by the join.
        self._locked[incident.id] = incident
        self._keys_noted.update((incident.id, key) for key in alert.group_keys)

    async def _resolve(self, signal: IncomingSignal, alert: Alert | None) -> Outcome:
        if alert is None:
            return Outcome.NO_OPEN_ALERT
        alert.status = RESOLVED
        self._firing.pop((alert.source, signal.dedup_key), None)
        alert.open_key = None
        alert.resolved_at = alert.last_seen_at = self.now
        alert.signal_count += 1
        await self.session.flush()
        if alert.incident_id is None:
            return Outcome.RESOLVED
        incident = await self._lock(alert.incident_id)
        if incident is None:
            return Outcome.RESOLVED
        actor = self._actor(signal)
        await add_timeline_entry(
            self.session,
            incident_id=incident.id,
            kind=TimelineKind.ALERT_RESOLVED,
            at=self.now,
            actor=actor,
            data={"alert_id": alert.id, "summary": alert.summary},
        )
        if self.policy.auto_resolve and IncidentStatus(incident.status).is_open:
            firing = await self.session.scalar(
                select(func.count(Alert.id)).where(
                    Alert.incident_id == incident.id, Alert.status == FIRING
                )
            )
            if not firing:
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
            incident = await self._lock(alert.incident_id)
            if incident is not None and incident.status == IncidentStatus.TRIGGERED.value:
                await acknowledge_incident(
                    self.session, incident=incident, actor=self._actor(signal), now=self.now
                )
        return Outcome.ACKNOWLEDGED
