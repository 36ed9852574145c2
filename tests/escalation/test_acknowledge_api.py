"""Acknowledging through the incidents API, with the escalation worker running: escalation stops
on the bus event and a page still waiting for its retry is never sent."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from sqlalchemy import select

from garrison.auth.permissions import Role
from garrison.clock import ManualClock
from garrison.escalation.models import EscalationRecord
from garrison.runtime.context import AppContext
from tests.auth.factories import bearer, make_token, make_user
from tests.escalation.factories import (
    advance,
    deliveries,
    escalation_worker,
    notification_worker,
    notifications,
    open_test_incident,
    running,
)
from tests.notify.sinks import SmtpSink

SETTLE_SECONDS = 10.0


async def _escalation(context: AppContext, incident_id: int) -> EscalationRecord:
    async with context.sessions() as session:
        found = await session.scalar(
            select(EscalationRecord).where(EscalationRecord.incident_id == incident_id)
        )
    assert found is not None
    return found


async def test_acknowledging_over_the_api_stops_paging_and_cancels_the_retry(
    context: AppContext,
    clock: ManualClock,
    config_path: Path,
    smtp: SmtpSink,
    client: httpx.AsyncClient,
) -> None:
    await make_user(context, "alpha", role=Role.DUTY_OFFICER)
    headers = bearer(await make_token(context, "alpha"))
    await smtp.stop()  # the first page fails and waits for its retry
    escalation = escalation_worker(context, config_path)
    delivery = notification_worker(context, config_path)
    async with running(context, escalation):
        incident_id = await open_test_incident(context)
        await escalation.start(incident_id)
        assert await delivery.deliver_once() == 1
        assert [d.status for d in await deliveries(context)] == ["pending"]

        answer = await client.post(f"/api/v1/incidents/{incident_id}/acknowledge", headers=headers)
        assert answer.status_code == 200, answer.text
        # One state change and one acknowledgement reach the worker.
        async with asyncio.timeout(SETTLE_SECONDS):
            await escalation.wait_handled(2)
        record = await _escalation(context, incident_id)
        assert (record.status, record.stop_reason) == ("stopped", "acknowledged")

        advance(clock, minutes=30)
        assert await delivery.deliver_once() == 0
    assert [d.status for d in await deliveries(context)] == ["cancelled"]
    assert [n.status for n in await notifications(context, incident_id)] == ["cancelled"]
    assert smtp.messages == []
