"""The signed one-click link: GET shows, POST acknowledges once as the person, then it is spent."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from sqlalchemy import select

from garrison.audit.models import AuditEntry
from garrison.auth.permissions import Role
from garrison.clock import ManualClock
from garrison.incidents.models import Incident
from garrison.incidents.transitions import acknowledge_incident
from garrison.notify.links import read_ack_token, server_secret, sign_ack_token
from garrison.runtime.context import AppContext
from tests.auth.factories import make_user
from tests.escalation.factories import (
    TEST_ACTOR,
    advance,
    escalation_worker,
    incident,
    notification_worker,
    notifications,
    open_test_incident,
)
from tests.notify.sinks import SmtpSink

LINK = re.compile(r"https://garrison\.test(/ack/[A-Za-z0-9_\-.]+)")


async def _mailed_link(
    context: AppContext, config_path: Path, smtp: SmtpSink, *, count: int = 1
) -> tuple[int, str]:
    incident_id = await open_test_incident(context)
    await escalation_worker(context, config_path).run_once()
    await notification_worker(context, config_path).deliver_once()
    mails = await smtp.wait_for(count)
    found = LINK.search(mails[-1].text)
    assert found is not None
    return incident_id, found.group(1)


async def _link_audit(context: AppContext) -> list[AuditEntry]:
    async with context.sessions() as session:
        rows = await session.scalars(
            select(AuditEntry).where(AuditEntry.action == "notification.acknowledge_link.used")
        )
        return list(rows.all())


async def test_get_only_shows_and_post_acknowledges_once_as_the_person_it_was_sent_to(
    context: AppContext,
    clock: ManualClock,
    config_path: Path,
    smtp: SmtpSink,
    client: httpx.AsyncClient,
) -> None:
    alpha = await make_user(context, "alpha", role=Role.DUTY_OFFICER)
    incident_id, path = await _mailed_link(context, config_path, smtp)

    # A mail scanner fetching the link acknowledges nothing.
    page = await client.get(path)
    assert page.status_code == 200
    assert 'method="post"' in page.text
    assert "Alpha" in page.text
    assert (await incident(context, incident_id)).status == "triggered"

    done = await client.post(path, data={"confirm": "yes"})
    assert done.status_code == 200, done.text
    acknowledged = await incident(context, incident_id)
    assert (acknowledged.status, acknowledged.acknowledged_by) == ("acknowledged", "alpha")
    [entry] = await _link_audit(context)
    assert (entry.actor_kind, entry.actor_id, entry.actor_name) == ("user", str(alpha.id), "alpha")
    assert entry.after is not None
    assert entry.after["incident_id"] == incident_id
    assert entry.origin is not None

    again = await client.post(path, data={"confirm": "yes"})
    assert again.status_code == 410
    assert "only once" in again.text
    assert (await client.get(path)).status_code == 410
    assert len(await _link_audit(context)) == 1

    # The escalation stops at its next due time.
    advance(clock, minutes=5)
    await escalation_worker(context, config_path).run_once()
    assert [n.recipient_id for n in await notifications(context, incident_id)] == ["alpha"]


async def test_an_expired_link_does_nothing(
    context: AppContext,
    clock: ManualClock,
    config_path: Path,
    smtp: SmtpSink,
    client: httpx.AsyncClient,
) -> None:
    incident_id, path = await _mailed_link(context, config_path, smtp)
    advance(clock, minutes=24 * 60)
    assert (await client.get(path)).status_code == 410
    refused = await client.post(path, data={"confirm": "yes"})
    assert refused.status_code == 410
    assert "expired" in refused.text
    assert (await incident(context, incident_id)).status == "triggered"
    assert await _link_audit(context) == []


async def test_forged_or_damaged_links_are_not_found(
    context: AppContext, config_path: Path, smtp: SmtpSink, client: httpx.AsyncClient
) -> None:
    incident_id, path = await _mailed_link(context, config_path, smtp)
    token = path.removeprefix("/ack/")
    claim = read_ack_token(server_secret(context.settings), token)
    # Signed with another key, for the same notification and person.
    forged = sign_ack_token(
        b"another-secret-of-thirty-two-bytes!",
        notification_id=claim.notification_id,
        person_id=claim.person_id,
        expires_at=claim.expires_at,
    )
    # A genuine signature over a payload naming another person is impossible to make, and a
    # damaged one does not verify.
    damaged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for bad in (forged, damaged, "x", "a.b", "." * 3):
        assert (await client.get(f"/ack/{bad}")).status_code == 404, bad
        assert (await client.post(f"/ack/{bad}")).status_code == 404, bad
    assert (await client.get("/ack/" + "a" * 600)).status_code == 422
    assert (await incident(context, incident_id)).status == "triggered"


async def test_a_link_for_an_incident_someone_else_took_explains_and_stays_unspent(
    context: AppContext, config_path: Path, smtp: SmtpSink, client: httpx.AsyncClient
) -> None:
    incident_id, path = await _mailed_link(context, config_path, smtp)
    async with context.sessions() as session:
        found = await session.get_one(Incident, incident_id)
        await acknowledge_incident(
            session, incident=found, actor=TEST_ACTOR, now=context.clock.now()
        )
        await session.commit()
    page = await client.get(path)
    assert page.status_code == 200
    assert "no longer waiting" in page.text
    assert (await client.post(path)).status_code == 410
    [notification] = await notifications(context, incident_id)
    assert notification.ack_used_at is None
