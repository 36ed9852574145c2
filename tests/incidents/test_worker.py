"""The incident worker: service states and detection alerts from the bus."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from garrison.clock import ManualClock
from garrison.detection.events import DetectionAlertRaised
from garrison.incidents import worker as worker_module
from garrison.incidents.bus_signals import signal_from_service_state
from garrison.incidents.events import IncidentOpened, IncidentStateChanged
from garrison.incidents.service import access_list
from garrison.incidents.signals import IncomingSignal
from garrison.probes.events import ServiceStateChanged
from garrison.runtime.context import AppContext
from tests.auth.factories import audit_actions
from tests.incidents.factories import (
    alerts,
    incidents,
    running_worker,
    signal_count,
    sync_event,
    timeline_kinds,
)

TIMEOUT = 20.0


def state(
    clock: ManualClock, service: str, current: str, previous: str = "up", **extra: Any
) -> ServiceStateChanged:
    return ServiceStateChanged(
        occurred_at=clock.now(),
        service_id=service,
        previous=previous,
        current=current,
        reason=extra.pop("reason", "2 of 2 checks failing"),
        **extra,
    )


def detection(clock: ManualClock, **extra: Any) -> DetectionAlertRaised:
    values: dict[str, Any] = {
        "alert_id": "det-1",
        "fingerprint": "ssh-bruteforce:198.51.100.7",
        "rule_id": "ssh-bruteforce",
        "rule_title": "SSH brute force",
        "rule_level": "high",
        "rule_author": "Garrison",
        "rule_license": "DRL-1.1",
        "source": "syslog-udp",
        "category": "unauthorised_access",
        "summary": "600 failed logins from 198.51.100.7",
        "source_address": "198.51.100.7",
        **extra,
    }
    return DetectionAlertRaised(occurred_at=clock.now(), **values)


async def test_down_opens_and_up_resolves_with_bus_events(
    context: AppContext, clock: ManualClock, tmp_path: Path
) -> None:
    await sync_event(context, tmp_path)
    opened = context.bus.subscribe(IncidentOpened, consumer="test")
    changed = context.bus.subscribe(IncidentStateChanged, consumer="test")
    async with running_worker(context) as worker:
        await context.bus.publish(state(clock, "portal", "down", reason="HTTP 502"))
        event = await asyncio.wait_for(anext(aiter(opened)), TIMEOUT)
        assert event.title == "Event portal is down: HTTP 502"
        assert event.severity == "sev2"
        assert (list(event.services), list(event.sites)) == (["portal"], ["hall"])

        clock.advance(300)
        await context.bus.publish(state(clock, "portal", "up", previous="down"))
        resolved = await asyncio.wait_for(anext(aiter(changed)), TIMEOUT)
        assert (resolved.previous, resolved.current) == ("triggered", "resolved")
        await asyncio.wait_for(worker.wait_processed(2), TIMEOUT)

    [incident] = await incidents(context)
    assert incident.status == "resolved"
    assert incident.resolved_at is not None
    assert (incident.resolved_at - incident.opened_at).total_seconds() == 300
    async with context.sessions() as session:
        assert (await access_list(session, incident_id=incident.id)).units == ("comms",)


async def test_degraded_pages_lower_and_down_raises_the_severity(
    context: AppContext, clock: ManualClock, tmp_path: Path
) -> None:
    await sync_event(context, tmp_path)
    async with running_worker(context) as worker:
        await context.bus.publish(state(clock, "uplink-a", "degraded"))
        await context.bus.publish(state(clock, "uplink-a", "down", previous="degraded"))
        await asyncio.wait_for(worker.wait_processed(2), TIMEOUT)

    [incident] = await incidents(context)
    assert incident.severity == "sev1"
    assert await timeline_kinds(context, incident.id) == ["opened", "alert", "severity"]
    [alert] = await alerts(context)
    assert alert.signal_count == 2
    raised = [e for e in await audit_actions(context) if e.action == "incident.severity_raised"]
    assert len(raised) == 1
    assert raised[0].after is not None
    assert raised[0].after["severity"] == "sev1"


async def test_unreachable_and_maintenance_never_page_by_themselves(
    context: AppContext, clock: ManualClock, tmp_path: Path
) -> None:
    await sync_event(context, tmp_path)
    async with running_worker(context) as worker:
        await context.bus.publish(state(clock, "portal", "unreachable", caused_by="uplink-a"))
        await context.bus.publish(state(clock, "press-wifi", "maintenance"))
        await context.bus.publish(state(clock, "uplink-b", "down", in_maintenance=True))
        await asyncio.wait_for(worker.wait_processed(3), TIMEOUT)
        assert await incidents(context) == []
        assert await signal_count(context) == 3

        # The root goes down: its incident takes in the alert that was waiting for it.
        await context.bus.publish(state(clock, "uplink-a", "down"))
        await asyncio.wait_for(worker.wait_processed(4), TIMEOUT)

    [incident] = await incidents(context)
    assert incident.services == ["portal", "uplink-a"]
    assert {alert.incident_id for alert in await alerts(context)} == {incident.id}


async def test_three_hundred_services_behind_one_uplink_are_one_incident(
    context: AppContext, clock: ManualClock, tmp_path: Path
) -> None:
    await sync_event(context, tmp_path)
    async with running_worker(context) as worker:
        await context.bus.publish(state(clock, "uplink-a", "down"))
        for n in range(300):
            await context.bus.publish(
                state(clock, f"service-{n:03d}", "unreachable", caused_by="uplink-a")
            )
        await asyncio.wait_for(worker.wait_processed(301), 120)
        assert worker.failed == 0

        # The uplink comes back and so does everything behind it: resolved once all are up.
        await context.bus.publish(state(clock, "uplink-a", "up", previous="down"))
        await asyncio.wait_for(worker.wait_processed(302), TIMEOUT)
        assert (await incidents(context))[0].status == "triggered"
        for n in range(300):
            await context.bus.publish(
                state(clock, f"service-{n:03d}", "up", previous="unreachable")
            )
        await asyncio.wait_for(worker.wait_processed(602), 120)

    [incident] = await incidents(context)
    assert len(incident.services) == 301
    assert incident.status == "resolved"
    assert len(await alerts(context)) == 301
    assert await signal_count(context) == 602


async def test_detection_alerts_become_security_incidents(
    context: AppContext, clock: ManualClock, tmp_path: Path
) -> None:
    await sync_event(context, tmp_path)
    async with running_worker(context) as worker:
        await context.bus.publish(detection(clock))
        await context.bus.publish(detection(clock))  # the same fingerprint: deduplicated
        await context.bus.publish(detection(clock, fingerprint="x", is_drill=True))
        await asyncio.wait_for(worker.wait_processed(3), TIMEOUT)

    real, drill = await incidents(context)
    assert (real.category, real.severity, real.is_drill) == ("unauthorised_access", "sev2", False)
    assert real.title == "SSH brute force: 600 failed logins from 198.51.100.7 (rule by Garrison)"
    assert drill.is_drill
    assert drill.title.startswith("[DRILL] ")
    first = (await alerts(context))[0]
    assert first.signal_count == 2
    assert first.details["rule_author"] == "Garrison"


async def test_a_failing_event_is_counted_and_the_worker_goes_on(
    context: AppContext, clock: ManualClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await sync_event(context, tmp_path)

    def broken_for_one_service(event: ServiceStateChanged) -> IncomingSignal:
        if event.service_id == "poison":
            raise RuntimeError("a bug in translating this event")
        return signal_from_service_state(event)

    # A fault injected on purpose: nothing real fails on demand.
    monkeypatch.setattr(worker_module, "signal_from_service_state", broken_for_one_service)
    async with running_worker(context) as worker:
        await context.bus.publish(state(clock, "poison", "down"))
        await context.bus.publish(state(clock, "portal", "down"))
        await asyncio.wait_for(worker.wait_processed(2), TIMEOUT)
        assert (worker.processed, worker.failed) == (1, 1)
    [incident] = await incidents(context)
    assert incident.services == ["portal"]
