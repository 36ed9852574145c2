"""Building audit chains for tests, and tampering with them behind the service's back."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update

from garrison.audit.actor import Actor
from garrison.audit.canonical import HashedFields, entry_hash
from garrison.audit.models import AuditEntry, AuditHead
from garrison.audit.service import record_audit
from garrison.auth.principal import RequestOrigin
from garrison.runtime.context import AppContext

ORIGIN = RequestOrigin(address="192.0.2.10", user_agent="pytest", request_id="req-1", channel="api")


async def append_entries(context: AppContext, count: int, *, action: str = "test.change") -> None:
    """``count`` entries, one a minute, each in its own committed transaction."""
    start = context.clock.now()
    for index in range(count):
        async with context.sessions() as session:
            await record_audit(
                session,
                actor=Actor(kind="user", id=str(index % 3 + 1), name=f"user{index % 3 + 1}"),
                action=action,
                target_type="service",
                target_id=f"svc-{index + 1}",
                at=start + timedelta(minutes=index),
                before={"state": "up", "n": index},
                after={"state": "down", "n": index + 1, "tags": ["a", "b"]},
                origin=ORIGIN,
            )
            await session.commit()


async def set_columns(context: AppContext, *, seq: int, **values: Any) -> None:
    async with context.engine.begin() as connection:
        await connection.execute(update(AuditEntry).where(AuditEntry.seq == seq).values(**values))


async def delete_entry(context: AppContext, *, seq: int) -> None:
    async with context.engine.begin() as connection:
        await connection.execute(delete(AuditEntry).where(AuditEntry.seq == seq))


async def entry_id(context: AppContext, *, seq: int) -> int:
    async with context.engine.connect() as connection:
        found = await connection.scalar(select(AuditEntry.id).where(AuditEntry.seq == seq))
    assert found is not None
    return int(found)


async def entry_hash_at(context: AppContext, *, seq: int) -> str:
    async with context.engine.connect() as connection:
        found = await connection.scalar(select(AuditEntry.hash).where(AuditEntry.seq == seq))
    assert found is not None
    return str(found)


async def swap_seq(context: AppContext, *, first: int, second: int) -> None:
    async with context.engine.begin() as connection:
        for old, new in ((first, -1), (second, first), (-1, second)):
            await connection.execute(
                update(AuditEntry).where(AuditEntry.seq == old).values(seq=new)
            )


async def shift_seq(context: AppContext, *, start: int, by: int) -> None:
    """Renumber entries from ``start`` on by ``by``, one row at a time (seq is unique)."""
    async with context.engine.begin() as connection:
        seqs = (
            await connection.scalars(select(AuditEntry.seq).where(AuditEntry.seq >= start))
        ).all()
        for seq in sorted(seqs, reverse=by > 0):
            await connection.execute(
                update(AuditEntry).where(AuditEntry.seq == seq).values(seq=seq + by)
            )


async def forge_entry(
    context: AppContext, *, seq: int, prev_hash: str, valid_hash: bool = True
) -> int:
    """Insert a made-up entry, with a correctly computed hash unless told otherwise."""
    fields = HashedFields(
        seq=seq,
        occurred_at=context.clock.now(),
        actor_kind="user",
        actor_id="99",
        actor_name="mallory",
        action="user.update",
        target_type="user",
        target_id="mallory",
        before=None,
        after={"role": "admin"},
        origin=None,
        prev_hash=prev_hash,
    )
    digest = entry_hash(fields) if valid_hash else "f" * 64
    async with context.engine.begin() as connection:
        result = await connection.execute(
            insert(AuditEntry)
            .values(
                seq=fields.seq,
                occurred_at=fields.occurred_at,
                actor_kind=fields.actor_kind,
                actor_id=fields.actor_id,
                actor_name=fields.actor_name,
                action=fields.action,
                target_type=fields.target_type,
                target_id=fields.target_id,
                before=None,
                after=fields.after,
                origin=None,
                prev_hash=fields.prev_hash,
                hash=digest,
            )
            .returning(AuditEntry.id)
        )
        return int(result.scalar_one())


async def set_head(context: AppContext, *, seq: int, last_hash: str | None = None) -> None:
    values: dict[str, Any] = {"seq": seq}
    if last_hash is not None:
        values["last_hash"] = last_hash
    async with context.engine.begin() as connection:
        await connection.execute(update(AuditHead).values(**values))


async def delete_head(context: AppContext) -> None:
    async with context.engine.begin() as connection:
        await connection.execute(delete(AuditHead))
