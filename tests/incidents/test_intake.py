"""Concurrent webhook requests: ingested together, each answered with its own results."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

import httpx

from garrison.config.incidents import IncidentsConfig, IntegrationKind
from garrison.incidents.alertmanager import AlertmanagerWebhook, signals_from_alertmanager
from garrison.incidents.intake import Intake, intake_for
from garrison.incidents.models import Integration
from garrison.incidents.signal_records import SignalResult
from garrison.incidents.signals import IncomingSignal
from garrison.runtime.context import AppContext
from tests.auth.factories import bearer
from tests.incidents.factories import alerts, am_alert, am_payload, incidents, make_integration

URL = "/api/v1/integrations/alertmanager"
POSTS = 24
PER_POST = 10
GROUPS = 3


async def test_concurrent_alertmanager_posts_are_batched_and_all_kept(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    key = await make_integration(context, IntegrationKind.ALERTMANAGER)
    intake = intake_for(context)
    batches_before = intake.batches

    def post(number: int) -> dict[str, object]:
        group = number % GROUPS
        fingerprints = [f"fp-{number}-{index}" for index in range(PER_POST)]
        return am_payload([am_alert(fp) for fp in fingerprints], group_key=f"group-{group}")

    responses = await asyncio.gather(
        *(client.post(URL, json=post(number), headers=bearer(key)) for number in range(POSTS))
    )

    assert [response.status_code for response in responses] == [200] * POSTS
    for number, response in enumerate(responses):
        # Each request gets the results of its own alerts, in its own order.
        keys = [result["dedup_key"] for result in response.json()["results"]]
        assert keys == [f"alertmanager:fp-{number}-{index}" for index in range(PER_POST)]
    assert len(await alerts(context)) == POSTS * PER_POST
    opened = await incidents(context)
    assert len(opened) == GROUPS
    # Fewer transactions than requests: they waited for each other's batch.
    assert intake.batches - batches_before < POSTS


async def test_a_failing_request_does_not_take_its_batch_with_it(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    key = await make_integration(context, IntegrationKind.ALERTMANAGER)
    intake = intake_for(context)

    def bad_build(_policy: IncidentsConfig, _integration: Integration) -> list[IncomingSignal]:
        raise ValueError("a signal that cannot be made")

    good = [
        client.post(URL, json=am_payload([am_alert(f"ok-{n}")]), headers=bearer(key))
        for n in range(5)
    ]
    failing = intake.ingest(key=key, kind=IntegrationKind.ALERTMANAGER, build=bad_build, count=1)
    *answers, failed = await asyncio.gather(*good, failing, return_exceptions=True)

    assert isinstance(failed, ValueError)
    assert all(isinstance(answer, httpx.Response) for answer in answers)
    assert [answer.status_code for answer in answers if isinstance(answer, httpx.Response)] == [
        200
    ] * 5
    assert len(await alerts(context)) == 5


async def test_steady_requests_gather_into_a_batch_and_a_lone_one_does_not_wait(
    context: AppContext,
) -> None:
    key = await make_integration(context, IntegrationKind.ALERTMANAGER)
    linger = 1.0
    intake = Intake(context.sessions, bus=context.bus, clock=context.clock, linger_seconds=linger)

    def send(fingerprint: str) -> Awaitable[list[SignalResult]]:
        webhook = AlertmanagerWebhook.model_validate(am_payload([am_alert(fingerprint)]))
        return intake.ingest(
            key=key,
            kind=IntegrationKind.ALERTMANAGER,
            build=lambda policy, integration: signals_from_alertmanager(
                webhook, integration=integration, policy=policy
            ),
            count=1,
        )

    loop = asyncio.get_running_loop()
    started = loop.time()
    await send("alone")  # nothing came before it: not held back for company
    assert loop.time() - started < linger / 2
    assert intake.batches == 1
    # Requests close on each other's heels: the next ones gather into one transaction.
    following = [asyncio.ensure_future(send(f"steady-{n}")) for n in range(2)]
    await asyncio.sleep(0.05)
    following.append(asyncio.ensure_future(send("steady-late")))
    await asyncio.gather(*following)
    assert intake.batches == 2
    assert len(await alerts(context)) == 4
