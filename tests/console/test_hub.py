"""The live-update hub: fan-out, per-user filtering, lagging clients, bus wiring."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from garrison.auth.permissions import Role, permissions_for
from garrison.auth.principal import Principal
from garrison.console.hub import ConsoleHub, LiveUpdate
from garrison.detection.events import DetectionAlertRaised
from garrison.incidents.access import Viewer
from garrison.incidents.events import IncidentAcknowledged
from garrison.incidents.vocabulary import Classification
from garrison.probes.events import ServiceStateChanged
from garrison.runtime.context import AppContext
from tests.console.factories import make_incident

AT = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
WAIT = 5.0


def _principal(user_id: int, role: Role) -> Principal:
    return Principal(
        user_id=user_id,
        username=f"user{user_id}",
        role=role,
        permissions=permissions_for(role),
        via="session",
    )


def _viewer(principal: Principal) -> Viewer:
    return Viewer(user_id=principal.user_id, username=principal.username, role=principal.role)


def _service_down() -> ServiceStateChanged:
    return ServiceStateChanged(
        occurred_at=AT, service_id="uplink", previous="up", current="down", reason="refused"
    )


def _acknowledged(incident_id: int) -> IncidentAcknowledged:
    return IncidentAcknowledged(
        occurred_at=AT,
        incident_id=incident_id,
        severity="sev2",
        is_drill=False,
        actor_kind="user",
        actor_id="1",
        actor_name="lan",
        seconds_to_acknowledge=5.0,
    )


def _hub(context: AppContext, queue_size: int = 8) -> ConsoleHub:
    return ConsoleHub(bus=context.bus, sessions=context.sessions, queue_size=queue_size)


async def test_an_event_reaches_every_connected_client(context: AppContext) -> None:
    hub = _hub(context)
    clients = [
        hub.connect(p, _viewer(p))
        for p in (_principal(1, Role.OBSERVER), _principal(2, Role.ADMIN))
    ]
    try:
        assert await hub.deliver(_service_down()) == 2
        for client in clients:
            lagged, updates = await client.take(wait_seconds=0)
            assert (lagged, updates) == (False, [LiveUpdate(area="services")])
    finally:
        for client in clients:
            await hub.disconnect(client)


async def test_detections_reach_only_those_allowed_to_read_them(context: AppContext) -> None:
    hub = _hub(context)
    observer = hub.connect(_principal(1, Role.OBSERVER), _viewer(_principal(1, Role.OBSERVER)))
    analyst = hub.connect(_principal(2, Role.ANALYST), _viewer(_principal(2, Role.ANALYST)))
    alert = DetectionAlertRaised(
        occurred_at=AT,
        alert_id="a1",
        fingerprint="f",
        rule_id="r",
        rule_title="Brute force",
        rule_level="high",
        rule_author="someone",
        rule_license="DRL-1.1",
        source="syslog-udp",
        category="unauthorised_access",
        summary="many failures",
    )
    try:
        assert await hub.deliver(alert) == 1
        assert (await observer.take(wait_seconds=0))[1] == []
        assert (await analyst.take(wait_seconds=0))[1] == [LiveUpdate(area="security")]
    finally:
        await hub.disconnect(observer)
        await hub.disconnect(analyst)


async def test_a_confidential_incident_is_not_announced_to_an_observer(
    context: AppContext,
) -> None:
    secret = await make_incident(context, classification=Classification.CONFIDENTIAL)
    public = await make_incident(context, classification=Classification.PUBLIC)
    hub = _hub(context)
    observer_principal = _principal(1, Role.OBSERVER)
    leader_principal = _principal(2, Role.LEADER)
    observer = hub.connect(observer_principal, _viewer(observer_principal))
    leader = hub.connect(leader_principal, _viewer(leader_principal))
    try:
        assert await hub.deliver(_acknowledged(secret)) == 1
        assert await hub.deliver(_acknowledged(public)) == 2
        assert (await observer.take(wait_seconds=0))[1] == [
            LiveUpdate(area="incidents", incident_id=public)
        ]
        assert len((await leader.take(wait_seconds=0))[1]) == 2
        # An incident that does not exist (any more) is announced to nobody.
        assert await hub.deliver(_acknowledged(999_999)) == 0
    finally:
        await hub.disconnect(observer)
        await hub.disconnect(leader)


async def test_a_lagging_client_loses_the_oldest_updates_and_is_told_to_refetch(
    context: AppContext,
) -> None:
    hub = _hub(context, queue_size=3)
    principal = _principal(1, Role.ADMIN)
    slow = hub.connect(principal, _viewer(principal))
    try:
        for number in range(5):
            await hub.deliver(
                ServiceStateChanged(
                    occurred_at=AT,
                    service_id=f"s{number}",
                    previous="up",
                    current="down",
                    reason="",
                )
            )
        lagged, updates = await slow.take(wait_seconds=0)
        assert lagged is True
        assert len(updates) == 3
        assert (await slow.take(wait_seconds=0)) == (False, [])
    finally:
        await hub.disconnect(slow)


async def test_bus_events_flow_through_while_a_client_listens(context: AppContext) -> None:
    hub = _hub(context)
    principal = _principal(1, Role.OBSERVER)
    client = hub.connect(principal, _viewer(principal))
    try:
        await context.bus.publish(_service_down())
        lagged, updates = await asyncio.wait_for(client.take(wait_seconds=WAIT), WAIT + 1)
        assert updates == [LiveUpdate(area="services")]
        assert not lagged
    finally:
        await hub.disconnect(client)
    # The last client gone, the hub holds no subscription: publishing does not block.
    assert hub.clients == ()
    await asyncio.wait_for(context.bus.publish(_service_down()), WAIT)
