"""What became of each signal: its record, written with the batch's others, and its result.

Every signal is stored, whatever becomes of it; the records of a batch are inserted
together once the batch's alerts and incidents have their ids (numbered on SQLite
when there are several, see ``storage.row_ids``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from garrison.incidents.ingest_memory import IngestionMemory
from garrison.incidents.models import Alert, SignalRecord
from garrison.incidents.signals import IncomingSignal


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


@dataclass(frozen=True, slots=True)
class Handled:
    signal: IncomingSignal
    outcome: Outcome
    alert: Alert | None
    incident_id: int | None  # the alert's incident when the signal was handled


def _record(handled: Handled, now: datetime) -> SignalRecord:
    signal, alert = handled.signal, handled.alert
    return SignalRecord(
        received_at=now,
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
        outcome=handled.outcome.value,
        alert_id=alert.id if alert else None,
        incident_id=handled.incident_id,
    )


async def write_records(
    session: AsyncSession, *, handled: list[Handled], memory: IngestionMemory, now: datetime
) -> list[SignalResult]:
    """Insert the records of the ``handled`` signals; their results, in the same order."""
    records = [_record(one, now) for one in handled]
    if len(records) > 1:  # one record inserts in one statement anyway
        for record in records:
            await memory.number(record)
    session.add_all(records)
    await session.flush()
    return [
        SignalResult(
            signal_id=record.id,
            dedup_key=record.dedup_key,
            outcome=one.outcome,
            alert_id=record.alert_id,
            incident_id=record.incident_id,
        )
        for record, one in zip(records, handled, strict=True)
    ]
