"""The security pages: detections with their rule's author, and the raw event search."""

from __future__ import annotations

from datetime import timedelta

import httpx

from garrison.auth.permissions import Role
from garrison.detection.alerts.models import DetectionAlert
from garrison.detection.ingest.models import StoredLogEvent
from garrison.runtime.context import AppContext
from tests.console.factories import browser_login


async def _detection(context: AppContext) -> str:
    now = context.clock.now()
    async with context.sessions() as session:
        session.add(
            DetectionAlert(
                alert_id="a1b2c3", fingerprint="f" * 64, rule_id="ssh-brute",
                rule_title="SSH brute force", rule_level="high", rule_author="Tran Van An",
                rule_license="DRL-1.1", kind="rule", category="unauthorised_access",
                source="edge-syslog", summary="Many failed logins from 203.0.113.7",
                source_address="203.0.113.7", host="gw1",
                matched_fields={"source_address": "203.0.113.7", "user": "root"},
                events=[{"raw": "Failed password for root from 203.0.113.7"}],
                occurred_at=now, first_seen_at=now, last_seen_at=now, count=12,
            )
        )  # fmt: skip
        for minutes, address in ((5, "203.0.113.7"), (10, "198.51.100.4"), (90, "203.0.113.7")):
            session.add(
                StoredLogEvent(
                    source="edge-syslog", received_at=now - timedelta(minutes=minutes),
                    occurred_at=None, host="gw1", kind="log", parser="syslog", product=None,
                    service="sshd", category=None, fields={"source_address": address},
                    raw=f"Failed password for root from {address} at -{minutes}m",
                )
            )  # fmt: skip
        await session.commit()
    return "a1b2c3"


async def test_detections_show_the_rule_author_level_matched_fields_and_event(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    alert_id = await _detection(context)
    await browser_login(context, client, "hoa", Role.DUTY_OFFICER)
    page = await client.get("/security")
    assert page.status_code == 200
    for text in ("SSH brute force", "Rule by Tran Van An", "level-high", "user", "root",
                 "Failed password for root from 203.0.113.7"):  # fmt: skip
        assert text in page.text, text
    # A duty officer may not search raw events: no link to it.
    assert "/security/events" not in page.text
    detail = await client.get(f"/security/detections/{alert_id}")
    assert detail.status_code == 200
    assert "Rule by Tran Van An" in detail.text
    assert (await client.get("/security/detections/nothing")).status_code == 404
    assert (await client.get("/security/events")).status_code == 403
    filtered = await client.get("/security", params={"level": "critical"})
    assert "SSH brute force" not in filtered.text


async def test_an_observer_may_not_read_detections(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    await _detection(context)
    await browser_login(context, client, "ngoc", Role.OBSERVER)
    assert (await client.get("/security")).status_code == 403
    nav = await client.get("/incidents")
    assert 'href="/security"' not in nav.text


async def test_an_analyst_searches_events_by_source_time_and_field(
    context: AppContext, client: httpx.AsyncClient
) -> None:
    await _detection(context)
    await browser_login(context, client, "thu", Role.ANALYST)
    assert 'href="/security/events"' in (await client.get("/security")).text
    blank = await client.get("/security/events")
    assert blank.status_code == 200
    assert "Failed password" not in blank.text
    found = await client.get(
        "/security/events",
        params={
            "source": "edge-syslog",
            "since": (context.clock.now() - timedelta(hours=1)).isoformat(),
            "fields": "source_address=203.0.113.7",
        },
    )
    assert found.status_code == 200
    assert "from 203.0.113.7 at -5m" in found.text
    assert "198.51.100.4" not in found.text
    assert "at -90m" not in found.text
    bad = await client.get("/security/events", params={"fields": "no equals sign"})
    assert bad.status_code == 422
    assert "fields, line 1" in bad.text
    bad_time = await client.get("/security/events", params={"since": "yesterday"})
    assert bad_time.status_code == 422
    assert "since:" in bad_time.text
