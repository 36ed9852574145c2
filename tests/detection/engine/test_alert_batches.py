"""Storing a flood of findings: a few statements per batch, the same alerts and audit trail."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from garrison.audit.actor import Actor
from garrison.audit.models import AuditEntry
from garrison.audit.verify import verify_chain
from garrison.clock import ManualClock
from garrison.detection.alerts.models import DetectionAlert, DetectionKnownAddress
from garrison.detection.alerts.service import (
    known_addresses,
    record_findings,
    remember_addresses,
)
from garrison.detection.detectors.admin_login import LearnedAddress
from garrison.detection.findings import Finding
from garrison.runtime.context import AppContext
from tests.detection.engine.factories import pack_engine, web_request
from tests.sql_statements import statements

ACTOR = Actor.system("test")
WINDOW = timedelta(minutes=10)


def sqli(address: str) -> list[Finding]:
    return pack_engine().evaluate(web_request("/a?id=1%20union%20select%202", address=address))


async def _actions(context: AppContext) -> list[str]:
    async with context.sessions() as session:
        query = select(AuditEntry.action).order_by(AuditEntry.seq)
        return list((await session.scalars(query)).all())


async def test_a_flood_of_findings_costs_a_few_statements(
    context: AppContext, clock: ManualClock
) -> None:
    addresses = [f"198.51.100.{host}" for host in range(1, 201)]
    async with context.sessions() as session:
        first = await record_findings(
            session,
            findings=[f for address in addresses[:50] for f in sqli(address)],
            now=clock.now(),
            dedup_window=WINDOW,
            actor=ACTOR,
        )
        await session.commit()
    assert len(first) == 50
    clock.advance(60)
    # 150 new addresses, the 50 known ones again, and every one of them twice.
    findings = [f for address in addresses * 2 for f in sqli(address)]
    with statements(context) as sent:
        async with context.sessions() as session:
            created = await record_findings(
                session, findings=findings, now=clock.now(), dedup_window=WINDOW, actor=ACTOR
            )
            await session.commit()
    assert [alert.source_address for alert in created] == addresses[50:]
    # Lookup, insert, repeat counts, audit head, audit entries, head again.
    assert len(sent) <= 8, sent
    async with context.sessions() as session:
        rows = (await session.scalars(select(DetectionAlert).order_by(DetectionAlert.id))).all()
        report = await verify_chain(session)
    assert len(rows) == 200
    counts = {row.source_address: row.count for row in rows}
    assert all(counts[address] == 3 for address in addresses[:50])
    assert all(counts[address] == 2 for address in addresses[50:])
    assert report.intact
    actions = await _actions(context)
    # First the new alerts, then one repeat entry per alert that repeated, in order.
    assert actions == ["detection.alert_raised"] * 200 + ["detection.alert_repeated"] * 200
    async with context.sessions() as session:
        query = (
            select(AuditEntry.target_id, AuditEntry.before, AuditEntry.after)
            .where(AuditEntry.action == "detection.alert_repeated")
            .order_by(AuditEntry.seq)
        )
        repeated = (await session.execute(query)).all()
    by_id = {row.alert_id: row.source_address for row in rows}
    assert [by_id[row.target_id] for row in repeated] == addresses
    assert (repeated[0].before, repeated[0].after) == ({"count": 1}, {"count": 3})
    assert (repeated[-1].before, repeated[-1].after) == ({"count": 1}, {"count": 2})


async def test_learned_addresses_are_stored_in_one_go(
    context: AppContext, clock: ManualClock
) -> None:
    start = clock.now()
    async with context.sessions() as session:
        await remember_addresses(
            session,
            learned=[LearnedAddress("root", "192.0.2.1", start)],
            actor=ACTOR,
            now=start,
        )
        await session.commit()
    later = start + timedelta(minutes=5)
    learned = [
        LearnedAddress("root", "192.0.2.1", later),
        *(LearnedAddress("root", f"203.0.113.{host}", later) for host in range(1, 101)),
        LearnedAddress("admin", "203.0.113.1", start + timedelta(minutes=1)),
        LearnedAddress("admin", "203.0.113.1", start),
    ]
    with statements(context) as sent:
        async with context.sessions() as session:
            stored = await remember_addresses(session, learned=learned, actor=ACTOR, now=later)
            await session.commit()
    assert stored == 101
    assert len(sent) <= 7, sent
    async with context.sessions() as session:
        pairs = await known_addresses(session)
        total = await session.scalar(select(func.count()).select_from(DetectionKnownAddress))
        admin = (
            await session.scalars(
                select(DetectionKnownAddress).where(DetectionKnownAddress.account == "admin")
            )
        ).one()
        report = await verify_chain(session)
    assert total == 102
    assert ("root", "192.0.2.1", later) in pairs
    assert (admin.first_seen_at, admin.last_seen_at) == (start, start + timedelta(minutes=1))
    assert report.intact
    assert await _actions(context) == ["detection.admin_address_learned"] * 102
