"""A service with checks, state history, rollups and a content snapshot, for the service pages."""

from __future__ import annotations

from datetime import datetime, timedelta

from garrison.event.models import EventRecord, ServiceRecord, UnitRecord
from garrison.probes.models import (
    BaselineRecord,
    CheckRecord,
    CheckStateRecord,
    RollupRecord,
    ServiceStateRecord,
    StateChangeRecord,
)
from garrison.runtime.context import AppContext

BASELINE_TEXT = "Welcome to the congress\nProgramme\nPress centre"
DEFACED_TEXT = "Welcome to the congress\nHACKED BY NOBODY\nPress centre"


def _change(subject: str, at: datetime, previous: str, current: str) -> StateChangeRecord:
    return StateChangeRecord(
        subject_kind="service",
        subject_id=subject,
        at=at,
        previous=previous,
        current=current,
        measured=current,
        in_maintenance=False,
        caused_by=None,
        reason="",
        evidence=[],
    )


async def make_portal(context: AppContext, *, event_start: datetime) -> None:
    """Service ``portal`` up since the event start, down for the last 30 min of the last hour."""
    now = context.clock.now()
    mirrored = {"data": {}, "created_at": event_start, "updated_at": event_start}
    async with context.sessions() as session:
        session.add(
            EventRecord(
                id="congress",
                name="Congress",
                timezone="Asia/Ho_Chi_Minh",
                starts_at=event_start,
                ends_at=event_start + timedelta(days=9),
                **mirrored,
            )
        )
        session.add(UnitRecord(id="comms", name="Communications", **mirrored))
        await session.flush()
        session.add(
            ServiceRecord(
                id="portal",
                name="Event portal",
                kind="web",
                criticality="critical",
                unit_id="comms",
                **mirrored,
            )
        )
        session.add_all(
            [
                CheckRecord(id="portal-http", name="Portal HTTP", type="http",
                            service_id="portal", **mirrored),
                CheckRecord(id="portal-content", name="Portal content", type="content",
                            service_id="portal", **mirrored),
            ]
        )  # fmt: skip
        session.add_all(
            [
                _change("portal", event_start, "unknown", "up"),
                _change("portal", now - timedelta(minutes=30), "up", "down"),
            ]
        )
        session.add(
            ServiceStateRecord(
                service_id="portal", state="down", measured="down",
                since=now - timedelta(minutes=30), reason="HTTP 503", updated_at=now,
            )
        )  # fmt: skip
        session.add(
            CheckStateRecord(
                check_id="portal-http", state="down", since=now - timedelta(minutes=30),
                last_result_at=now - timedelta(seconds=20), last_ok=False,
                last_reason="HTTP 503 from 192.0.2.10", last_latency_ms=41.5, updated_at=now,
            )
        )  # fmt: skip
        session.add(
            CheckStateRecord(
                check_id="portal-content", state="down", since=now - timedelta(minutes=5),
                snapshot={"text": DEFACED_TEXT, "script_origins": []},
                snapshot_at=now - timedelta(minutes=5), updated_at=now,
            )
        )  # fmt: skip
        session.add(
            BaselineRecord(
                check_id="portal-content", approved_at=event_start, approved_by="minh",
                text=BASELINE_TEXT, script_origins=[], iframe_origins=[], link_origins=[],
            )
        )  # fmt: skip
        for minutes in range(1, 61):
            minute = (now - timedelta(minutes=minutes)).replace(second=0, microsecond=0)
            session.add(
                RollupRecord(
                    check_id="portal-http", location="local", minute=minute, count=2,
                    failures=0, latency_count=2, latency_sum=2.0 * (20 + minutes),
                    latency_min=20.0, latency_max=80.0, buckets=[0] * 4,
                )
            )  # fmt: skip
        await session.commit()
