"""What starting escalations and recording pages cost in statements: read once a batch."""

from __future__ import annotations

from pathlib import Path

from garrison.runtime.context import AppContext
from tests.escalation.factories import (
    Endpoints,
    escalation_worker,
    notification_worker,
    notifications,
    open_test_incident,
    write_scenario,
)
from tests.incidents.factories import statements
from tests.notify.sinks import HttpSink


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
    assert len(await notifications(context)) >= 3


async def test_outcomes_of_a_round_are_recorded_with_three_reads(
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
    # Deliveries, notifications and attempts are read once for the round's outcomes.
    for table in ("notification", "notification_attempt"):
        reads = [text for text in sent if text.startswith(f"SELECT {table}.id, {table}.")]
        assert len(reads) == 1, reads
    assert {item.status for item in await notifications(context)} == {"delivered"}
