"""What starting escalations and recording pages cost in statements: read once a batch."""

from __future__ import annotations

from pathlib import Path

from garrison.audit.service import list_audit
from garrison.audit.verify import verify_chain
from garrison.runtime.context import AppContext
from tests.escalation.factories import (
    Endpoints,
    attempts,
    deliveries,
    escalation_record,
    escalation_worker,
    notification_worker,
    notifications,
    open_test_incident,
    write_scenario,
)
from tests.notify.sinks import HttpSink
from tests.sql_statements import statements


async def test_escalations_start_together_reading_each_incident_once(
    context: AppContext, config_path: Path
) -> None:
    incident_ids = [await open_test_incident(context, title=f"Down {n}") for n in range(3)]
    worker = escalation_worker(context, config_path)

    with statements(context) as sent:
        started = await worker.start_many(incident_ids)

    assert started == incident_ids
    # One query finds the incidents to start; none looks up an escalation per incident,
    # and the suppression check runs once per incident (not again for the first step).
    assert len([text for text in sent if text.startswith("SELECT incident.id")]) == 1
    assert not [text for text in sent if "WHERE escalation.incident_id = " in text]
    assert len([text for text in sent if "SELECT incident_alert.pages" in text]) == 3
    # Each escalation is inserted with its first step fired: no update after; a page's
    # key is not looked up (a new escalation has none queued).
    assert len([text for text in sent if text.startswith("INSERT INTO escalation ")]) == 3
    assert not [text for text in sent if text.startswith("UPDATE escalation ")]
    assert not [text for text in sent if text.startswith("SELECT notification.id")]
    assert len(await notifications(context)) >= 3
    # Their audit entries are appended together: one bump of the chain's head.
    assert len([text for text in sent if text.startswith("UPDATE audit_head SET seq")]) == 1
    async with context.sessions() as session:
        entries = await list_audit(session, limit=10, action="escalation.started")
        assert (await verify_chain(session)).intact
    assert sorted(entry.target_id or "" for entry in entries) == sorted(map(str, incident_ids))


async def test_a_round_reads_the_next_due_step_with_the_due_ones(
    context: AppContext, config_path: Path
) -> None:
    incident_id = await open_test_incident(context, title="Down")
    worker = escalation_worker(context, config_path)

    with statements(context) as sent:
        result = await worker.run_once()

    assert result.started == [incident_id]
    record = await escalation_record(context, incident_id)
    assert result.next_due is not None
    assert result.next_due.later_known
    assert result.next_due.later is not None
    assert result.next_due.later == record.next_due_at
    assert result.next_due.later > context.clock.now()
    # The start, then one read of the escalations for the round and the sleep after it.
    reads = [text for text in sent if text.startswith("SELECT escalation.")]
    assert len(reads) == 1, reads


async def test_outcomes_of_a_round_that_went_out_are_recorded_without_reads(
    context: AppContext, config_path: Path, endpoints: Endpoints, receiver: HttpSink
) -> None:
    write_scenario(config_path, endpoints, webhook_people=("alpha",))
    for n in range(3):
        await open_test_incident(context, title=f"Down {n}")
    await escalation_worker(context, config_path).run_once()
    delivery = notification_worker(context, config_path)

    with statements(context) as sent:
        sent_now = await delivery.deliver_once()

    assert sent_now >= 3
    # Attempts that went out change known columns: nothing is read to record them, each
    # table takes one UPDATE for the round.
    for table in ("notification", "notification_attempt"):
        assert not [text for text in sent if text.startswith(f"SELECT {table}.id, {table}.")]
        assert len([text for text in sent if text.startswith(f"UPDATE {table} ")]) == 1
    assert {item.status for item in await notifications(context)} == {"delivered"}
    assert {item.status for item in await deliveries(context)} == {"sent"}
    assert {(item.outcome, item.finished_at is not None) for item in await attempts(context)} == {
        ("sent", True)
    }
