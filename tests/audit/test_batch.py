"""Appending many entries at once: the same chain as one by one, in a few statements."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import event, select

from garrison.audit.actor import Actor
from garrison.audit.canonical import entry_hash
from garrison.audit.models import AuditEntry, AuditHead
from garrison.audit.service import AuditDraft, hashed_fields, record_audits
from garrison.audit.verify import verify_chain
from garrison.runtime.context import AppContext
from tests.audit.factories import ORIGIN, append_entries

ACTOR = Actor.system("batch")


def drafts(count: int) -> list[AuditDraft]:
    return [
        AuditDraft(
            action="test.batch",
            target_type="alert",
            target_id=f"a-{index}",
            before=None if index % 2 else {"count": index},
            after={"count": index + 1, "api_key": "hidden"},
        )
        for index in range(count)
    ]


async def _all_entries(context: AppContext) -> list[AuditEntry]:
    async with context.sessions() as session:
        return list((await session.scalars(select(AuditEntry).order_by(AuditEntry.seq))).all())


async def test_a_batch_continues_the_chain_in_order(context: AppContext) -> None:
    await append_entries(context, 2)
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(context.engine.sync_engine, "before_cursor_execute", count)
    try:
        async with context.sessions() as session:
            stored = await record_audits(
                session, actor=ACTOR, at=context.clock.now(), drafts=drafts(300), origin=ORIGIN
            )
            await session.commit()
    finally:
        event.remove(context.engine.sync_engine, "before_cursor_execute", count)
    # Claim the numbers, insert the entries, move the head: not one round trip per entry.
    writes = [s for s in statements if not s.startswith(("BEGIN", "COMMIT", "SAVEPOINT"))]
    assert len(writes) <= 4, writes
    assert [entry.seq for entry in stored] == list(range(3, 303))
    entries = await _all_entries(context)
    assert [entry.target_id for entry in entries[2:]] == [f"a-{i}" for i in range(300)]
    for previous, entry in itertools.pairwise(entries):
        assert entry.prev_hash == previous.hash
    for entry in entries:
        assert entry.hash == entry_hash(hashed_fields(entry))
    assert entries[2].before == {"count": 0}
    assert entries[3].before is None
    assert entries[3].after == {"count": 2, "api_key": "[redacted]"}
    assert entries[-1].origin is not None
    assert entries[-1].origin["request_id"] == "req-1"
    async with context.sessions() as session:
        head = await session.get(AuditHead, 1)
        report = await verify_chain(session)
    assert head is not None
    assert (head.seq, head.last_hash) == (302, entries[-1].hash)
    assert report.intact
    assert report.checked == 302
    # And the chain goes on one by one after a batch.
    await append_entries(context, 1)
    async with context.sessions() as session:
        assert (await verify_chain(session)).intact


async def test_an_empty_batch_touches_nothing(context: AppContext) -> None:
    async with context.sessions() as session:
        assert await record_audits(session, actor=ACTOR, at=context.clock.now(), drafts=[]) == []
        await session.commit()
        head = await session.get(AuditHead, 1)
    assert head is not None
    assert head.seq == 0


async def test_a_bad_entry_refuses_the_whole_batch(context: AppContext) -> None:
    bad = [*drafts(2), AuditDraft(action="", target_type="alert", target_id=None)]
    async with context.sessions() as session:
        with pytest.raises(ValueError, match="action"):
            await record_audits(session, actor=ACTOR, at=context.clock.now(), drafts=bad)
        await session.rollback()
    assert await _all_entries(context) == []
