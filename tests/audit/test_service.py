"""Appending to the chain and reading it back, on every backend."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta, timezone
from enum import StrEnum

import pytest
from sqlalchemy import select

from garrison.audit.actor import Actor
from garrison.audit.canonical import GENESIS_HASH, entry_hash
from garrison.audit.models import AuditEntry, AuditHead
from garrison.audit.payload import REDACTED
from garrison.audit.service import hashed_fields, list_audit, record_audit
from garrison.audit.verify import verify_chain
from garrison.errors import ValidationFailed
from garrison.runtime.context import AppContext
from tests.audit.factories import ORIGIN, append_entries, delete_head


class Colour(StrEnum):
    RED = "red"


async def _all_entries(context: AppContext) -> list[AuditEntry]:
    async with context.sessions() as session:
        return list((await session.scalars(select(AuditEntry).order_by(AuditEntry.seq))).all())


async def test_appended_entries_are_numbered_and_linked(context: AppContext) -> None:
    await append_entries(context, 4)
    entries = await _all_entries(context)
    assert [entry.seq for entry in entries] == [1, 2, 3, 4]
    assert entries[0].prev_hash == GENESIS_HASH
    for previous, entry in itertools.pairwise(entries):
        assert entry.prev_hash == previous.hash
    for entry in entries:
        assert entry.hash == entry_hash(hashed_fields(entry))
    async with context.sessions() as session:
        head = await session.get(AuditHead, 1)
        report = await verify_chain(session)
    assert head is not None
    assert (head.seq, head.last_hash) == (4, entries[-1].hash)
    assert report.intact
    assert report.checked == 4


async def test_an_entry_keeps_everything_it_was_given(context: AppContext) -> None:
    at = datetime(2026, 6, 1, 15, 30, 1, 123456, tzinfo=timezone(timedelta(hours=7)))
    async with context.sessions() as session:
        entry = await record_audit(
            session,
            actor=Actor.system("config-sync"),
            action="config.sync",
            target_type="event",
            target_id=None,
            at=at,
            before={"colour": Colour.RED, "when": at, "ids": (1, 2)},
            after={"nested": {"list": [1.5, None, True]}},
            origin=ORIGIN,
        )
        assert entry.id is not None
        await session.commit()
    [stored] = await _all_entries(context)
    assert stored.occurred_at == datetime(2026, 6, 1, 8, 30, 1, 123456, tzinfo=UTC)
    assert (stored.actor_kind, stored.actor_id, stored.actor_name) == (
        "system",
        None,
        "config-sync",
    )
    assert (stored.action, stored.target_type, stored.target_id) == ("config.sync", "event", None)
    assert stored.before == {
        "colour": "red",
        "when": "2026-06-01T08:30:01.123456+00:00",
        "ids": [1, 2],
    }
    assert stored.after == {"nested": {"list": [1.5, None, True]}}
    assert stored.origin == {
        "address": "192.0.2.10",
        "user_agent": "pytest",
        "request_id": "req-1",
        "channel": "api",
    }
    assert stored.hash == entry.hash


async def test_secrets_are_never_stored(context: AppContext) -> None:
    async with context.sessions() as session:
        await record_audit(
            session,
            actor=Actor.cli("root"),
            action="user.update",
            target_type="user",
            target_id="lan",
            at=context.clock.now(),
            before={"Password": "hunter2", "username": "lan", "totp_secret": None},
            after={
                "password_hash": "$argon2id$...",
                "profile": {"TOTP_SECRET": "JBSWY3DP", "apiKey": "k-1"},
                "tokens": [{"token": "gar_abc", "token_id": 7, "token_hash": "ab12"}],
                "secret": {"deep": "value"},
                "key": "x",
            },
        )
        await session.commit()
    [stored] = await _all_entries(context)
    assert stored.before == {"Password": REDACTED, "username": "lan", "totp_secret": None}
    assert stored.after == {
        "password_hash": REDACTED,
        "profile": {"TOTP_SECRET": REDACTED, "apiKey": REDACTED},
        "tokens": REDACTED,
        "secret": REDACTED,
        "key": REDACTED,
    }
    async with context.sessions() as session:
        assert (await verify_chain(session)).intact


async def test_a_large_value_is_truncated_and_still_verifies(context: AppContext) -> None:
    async with context.sessions() as session:
        await record_audit(
            session,
            actor=Actor.system("test"),
            action="test.big",
            target_type="blob",
            target_id="1",
            at=context.clock.now(),
            after={"text": "é" * 100_000},
        )
        await session.commit()
    [stored] = await _all_entries(context)
    assert stored.after is not None
    assert stored.after["_truncated"] is True
    assert stored.after["original_bytes"] > 64 * 1024
    async with context.sessions() as session:
        assert (await verify_chain(session)).intact


async def test_a_naive_time_is_refused(context: AppContext) -> None:
    async with context.sessions() as session:
        with pytest.raises(ValueError, match="timezone-aware"):
            await record_audit(
                session,
                actor=Actor.system("test"),
                action="test.change",
                target_type="service",
                target_id="x",
                at=datetime(2026, 6, 1, 8, 0),  # noqa: DTZ001
            )


async def test_a_rolled_back_append_leaves_no_gap(context: AppContext) -> None:
    async with context.sessions() as session:
        await record_audit(
            session,
            actor=Actor.system("test"),
            action="test.change",
            target_type="service",
            target_id="gone",
            at=context.clock.now(),
        )
        await session.rollback()
    await append_entries(context, 2)
    entries = await _all_entries(context)
    assert [entry.seq for entry in entries] == [1, 2]
    assert all(entry.target_id != "gone" for entry in entries)


async def test_the_head_is_created_when_missing(context: AppContext) -> None:
    await delete_head(context)
    await append_entries(context, 2)
    async with context.sessions() as session:
        report = await verify_chain(session)
    assert report.intact
    assert report.checked == 2


async def test_concurrent_appends_make_one_valid_chain(context: AppContext) -> None:
    writers, per_writer = 6, 5

    async def write(writer: int) -> None:
        async with context.sessions() as session:
            for index in range(per_writer):
                await record_audit(
                    session,
                    actor=Actor.system(f"writer-{writer}"),
                    action="test.concurrent",
                    target_type="writer",
                    target_id=f"{writer}.{index}",
                    at=context.clock.now(),
                )
                await asyncio.sleep(0)
            await session.commit()

    await asyncio.wait_for(asyncio.gather(*(write(w) for w in range(writers))), timeout=60)
    entries = await _all_entries(context)
    assert [entry.seq for entry in entries] == list(range(1, writers * per_writer + 1))
    # Each transaction's entries stay together: appends are serialised by the head.
    writers_in_order = [entry.actor_name for entry in entries]
    runs = [
        name for i, name in enumerate(writers_in_order) if i == 0 or writers_in_order[i - 1] != name
    ]
    assert len(runs) == writers
    async with context.sessions() as session:
        report = await verify_chain(session)
    assert report.intact
    assert report.checked == writers * per_writer


async def test_list_returns_newest_first_with_filters_and_pages(context: AppContext) -> None:
    await append_entries(context, 5)
    await append_entries(context, 2, action="test.other")
    async with context.sessions() as session:
        newest = await list_audit(session, limit=3)
        older = await list_audit(session, limit=3, before_seq=newest[-1].seq)
        other = await list_audit(session, limit=10, action="test.other")
        by_target = await list_audit(session, limit=10, target_type="service", target_id="svc-2")
        by_actor_name = await list_audit(session, limit=10, actor="user1")
        by_actor_id = await list_audit(session, limit=10, actor="1")
        nobody = await list_audit(session, limit=10, actor="nobody")
    assert [entry.seq for entry in newest] == [7, 6, 5]
    assert [entry.seq for entry in older] == [4, 3, 2]
    assert [entry.seq for entry in other] == [7, 6]
    assert {entry.target_id for entry in by_target} == {"svc-2"}
    assert [entry.seq for entry in by_actor_name] == [6, 4, 1]
    assert [entry.seq for entry in by_actor_id] == [6, 4, 1]
    assert nobody == []


@pytest.mark.parametrize("limit", [0, 1001])
async def test_list_refuses_a_limit_out_of_range(context: AppContext, limit: int) -> None:
    async with context.sessions() as session:
        with pytest.raises(ValidationFailed):
            await list_audit(session, limit=limit)
