"""Generic webhook signals: what a batch costs in statements, and keys checked in the batch.

A repeat of a firing alert reads its incident and notes its grouping keys; a batch
does both for all its incidents at once, and checks every request's key in one query.
"""

from __future__ import annotations

import asyncio

import httpx

from garrison.config.incidents import IncidentsConfig, IntegrationKind
from garrison.incidents.intake import Build, intake_for
from garrison.incidents.models import Integration
from garrison.incidents.signal_records import SignalResult
from garrison.incidents.signals import IncomingSignal
from garrison.incidents.webhook import WebhookSignal, signal_from_webhook
from garrison.runtime.context import AppContext
from tests.auth.factories import audit_actions, bearer
from tests.incidents.factories import alerts, incidents, make_integration
from tests.sql_statements import statements

URL = "/api/v1/integrations/webhook"


def _body(incident: int) -> WebhookSignal:
    return WebhookSignal(
        key=f"key-{incident}", group=f"group-{incident}", summary=f"down {incident}"
    )


async def _send(context: AppContext, key: str, numbers: list[int]) -> list[list[SignalResult]]:
    """One signal per number, handed to the intake together (one batch)."""

    def build(body: WebhookSignal) -> Build:
        def make(policy: IncidentsConfig, integration: Integration) -> list[IncomingSignal]:
            return [signal_from_webhook(body, integration=integration, policy=policy)]

        return make

    intake = intake_for(context)
    return await asyncio.gather(
        *(
            intake.ingest(
                key=key, kind=IntegrationKind.WEBHOOK, build=build(_body(number)), count=1
            )
            for number in numbers
        )
    )


async def test_a_repeat_of_a_firing_alert_costs_a_few_statements(context: AppContext) -> None:
    key = await make_integration(context, IntegrationKind.WEBHOOK, rate_limit=10_000)
    await _send(context, key, [1])

    with statements(context) as sent:
        [[result]] = await _send(context, key, [1])

    assert result.outcome == "deduplicated"
    # The key, the claim, the firing alert, its incident (locked), the keys seen, the
    # alert's update, the signal record.
    assert len(sent) == 7, sent
    assert not [text for text in sent if "max(" in text]  # one record needs no numbering


async def test_repeats_in_many_incidents_cost_the_same_statements_as_in_few(
    context: AppContext,
) -> None:
    key = await make_integration(context, IntegrationKind.WEBHOOK, rate_limit=10_000)
    await _send(context, key, list(range(10)))
    counts = []
    for numbers in ([0, 1], list(range(10))):
        with statements(context) as sent:
            answers = await _send(context, key, numbers)
        assert {result.outcome for [result] in answers} == {"deduplicated"}
        counts.append(len(sent))

    # Not a lock and a key update per incident: one each for the batch.
    assert counts[0] == counts[1] <= 9, counts
    assert {alert.signal_count for alert in await alerts(context)} == {3, 2}
    assert len(await incidents(context)) == 10


async def test_a_signal_opening_an_incident_writes_its_keys_once(context: AppContext) -> None:
    key = await make_integration(context, IntegrationKind.WEBHOOK, rate_limit=10_000)

    with statements(context) as sent:
        [[result]] = await _send(context, key, [1])

    assert result.outcome == "opened"
    # A new incident has no keys to note as seen again: they are inserted, nothing else.
    assert not [text for text in sent if text.startswith("UPDATE incident_group_key")]
    assert not [text for text in sent if "FROM incident_group_key" in text]
    assert len([text for text in sent if text.startswith("INSERT INTO incident_group_key")]) == 1
    assert len(sent) <= 16, sent


async def test_a_wrong_key_is_refused_and_audited_while_its_batch_goes_on(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    key = await make_integration(context, IntegrationKind.WEBHOOK)
    other_kind = await make_integration(context, IntegrationKind.ALERTMANAGER)

    async def post(number: int, given: str) -> httpx.Response:
        body = {"key": f"k-{number}", "summary": f"down {number}", "group": "one"}
        return await client.post(URL, json=body, headers=bearer(given))

    responses = await asyncio.gather(
        post(1, key), post(2, "wrong-key"), post(3, key), post(4, other_kind)
    )

    assert [response.status_code for response in responses] == [202, 401, 202, 401]
    assert [alert.dedup_key for alert in await alerts(context)] == ["webhook:k-1", "webhook:k-3"]
    actions = [entry.action for entry in await audit_actions(context)]
    assert actions.count("integration.key_rejected") == 2
