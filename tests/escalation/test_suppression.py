"""Nothing pages for services in maintenance or unreachable behind a failed dependency: checked
end to end through incident ingestion, and again by escalation itself."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from garrison.escalation.models import EscalationRecord
from garrison.incidents.models import Alert
from garrison.incidents.worker import IncidentWorker
from garrison.probes.events import ServiceStateChanged
from garrison.probes.models import ServiceStateRecord
from garrison.runtime.context import AppContext
from tests.conftest import TEST_START
from tests.escalation.factories import (
    escalation_worker,
    notification_worker,
    notifications,
    open_test_incident,
    running,
    sync_event,
)
from tests.incidents.factories import incidents
from tests.notify.sinks import SmtpSink


def _state(
    service: str, current: str, *, in_maintenance: bool = False, caused_by: str | None = None
) -> ServiceStateChanged:
    return ServiceStateChanged(
        occurred_at=TEST_START,
        service_id=service,
        previous="up",
        current=current,
        reason="test",
        in_maintenance=in_maintenance,
        caused_by=caused_by,
    )


async def test_maintenance_and_unreachable_never_page_but_a_real_outage_does(
    context: AppContext, config_path: Path, smtp: SmtpSink
) -> None:
    await sync_event(context, config_path)
    ingest = IncidentWorker(context)
    async with running(
        context,
        notification_worker(context, config_path),
        escalation_worker(context, config_path),
        ingest,
    ):
        await context.bus.publish(_state("uplink", "down", in_maintenance=True))
        await context.bus.publish(_state("portal", "unreachable", caused_by="uplink"))
        await context.bus.publish(_state("soc-feed", "maintenance"))
        await ingest.wait_processed(3)
        assert await incidents(context) == []
        await context.bus.publish(_state("uplink", "down"))
        await ingest.wait_processed(4)
        [mail] = await smtp.wait_for(1)
    assert mail.recipients == ("alpha@congress.example",)
    [incident] = await incidents(context)
    assert [n.incident_id for n in await notifications(context)] == [incident.id]


async def _suppressed(context: AppContext, config_path: Path, incident_id: int) -> str | None:
    await escalation_worker(context, config_path).run_once()
    async with context.sessions() as session:
        record = await session.scalar(
            select(EscalationRecord).where(EscalationRecord.incident_id == incident_id)
        )
    assert record is not None
    assert record.status == "suppressed"
    assert await notifications(context, incident_id) == []
    return record.stop_reason


async def test_escalation_checks_service_states_again_before_paging(
    context: AppContext, config_path: Path
) -> None:
    now = context.clock.now()
    async with context.sessions() as session:
        session.add_all(
            [
                ServiceStateRecord(
                    service_id="uplink",
                    state="down",
                    measured="down",
                    since=now,
                    in_maintenance=True,
                    updated_at=now,
                ),
                ServiceStateRecord(
                    service_id="portal",
                    state="unreachable",
                    measured="down",
                    since=now,
                    caused_by="uplink",
                    updated_at=now,
                ),
            ]
        )
        await session.commit()
    in_maintenance = await open_test_incident(context, services=("uplink",))
    assert await _suppressed(context, config_path, in_maintenance) == "maintenance"
    behind_failure = await open_test_incident(context, services=("uplink", "portal"))
    assert await _suppressed(context, config_path, behind_failure) == "unreachable"


async def test_an_incident_whose_alerts_all_say_do_not_page_is_not_escalated(
    context: AppContext, config_path: Path
) -> None:
    incident_id = await open_test_incident(context, services=("portal",))
    now = context.clock.now()
    async with context.sessions() as session:
        session.add(
            Alert(
                source="probes",
                source_kind="probes",
                dedup_key="service:portal",
                open_key="service:portal",
                status="firing",
                summary="Portal unreachable",
                severity="sev3",
                category="availability",
                service_id="portal",
                pages=False,
                is_drill=False,
                details={},
                group_keys=[],
                first_seen_at=now,
                last_seen_at=now,
                signal_count=1,
                incident_id=incident_id,
            )
        )
        await session.commit()
    assert await _suppressed(context, config_path, incident_id) == "not_paging"
