"""Appending to the audit chain and reading it back.

Appends run in the caller's transaction. Each one first bumps the one-row
``audit_head`` (``UPDATE ... RETURNING``), so that SQLite takes its write lock
and PostgreSQL locks the row before anything else: concurrent appends queue
there and the chain stays gapless and linked.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.audit.actor import Actor
from garrison.audit.canonical import GENESIS_HASH, HashedFields, entry_hash
from garrison.audit.models import HEAD_ID, AuditEntry, AuditHead
from garrison.audit.payload import clean_text, origin_document, prepare_payload
from garrison.auth.principal import RequestOrigin
from garrison.errors import StorageError, ValidationFailed
from garrison.i18n import gettext as _

logger = logging.getLogger(__name__)

MAX_LIST_LIMIT = 1000

_CREATE_HEAD = text(
    "INSERT INTO audit_head (id, seq, last_hash) VALUES (:id, 0, :genesis) "
    "ON CONFLICT (id) DO NOTHING"
)


@dataclass(frozen=True, slots=True)
class AuditDraft:
    """One entry of a batch appended by :func:`record_audits` (actor and time are shared)."""

    action: str
    target_type: str
    target_id: str | None
    before: Mapping[str, Any] | None = None
    after: Mapping[str, Any] | None = None


async def record_audit(
    session: AsyncSession,
    *,
    actor: Actor,
    action: str,
    target_type: str,
    target_id: str | None,
    at: datetime,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    origin: RequestOrigin | None = None,
) -> AuditEntry:
    """Append one entry to the chain; flushes, never commits."""
    draft = AuditDraft(action, target_type, target_id, before=before, after=after)
    (entry,) = await record_audits(session, actor=actor, at=at, drafts=[draft], origin=origin)
    return entry


async def record_audits(
    session: AsyncSession,
    *,
    actor: Actor,
    at: datetime,
    drafts: Sequence[AuditDraft],
    origin: RequestOrigin | None = None,
) -> list[AuditEntry]:
    """Append entries to the chain in the order given, in three statements whatever
    their number; flushes, never commits.

    The head is bumped by the whole count at once, the entries are numbered and linked
    here (each one's ``prev_hash`` is the previous one's hash, exactly as one by one),
    inserted together, and the head takes the last hash.
    """
    if at.tzinfo is None:
        raise ValueError("audit times must be timezone-aware")
    if any(not draft.action or not draft.target_type for draft in drafts):
        raise ValueError("an audit entry needs an action and a target type")
    if not drafts:
        return []
    occurred_at = at.astimezone(UTC)
    actor_id = None if actor.id is None else clean_text(actor.id, max_length=64)
    actor_name = clean_text(actor.name, max_length=200)
    origin_doc = origin_document(origin)
    # Everything that can fail on bad input is done before the head is touched.
    entries = [
        AuditEntry(
            occurred_at=occurred_at,
            actor_kind=actor.kind,
            actor_id=actor_id,
            actor_name=actor_name,
            action=clean_text(draft.action, max_length=100),
            target_type=clean_text(draft.target_type, max_length=64),
            target_id=None
            if draft.target_id is None
            else clean_text(draft.target_id, max_length=200),
            before=prepare_payload(draft.before),
            after=prepare_payload(draft.after),
            origin=origin_doc,
        )
        for draft in drafts
    ]
    last_seq, prev_hash = await _claim_seqs(session, len(entries))
    seq = last_seq - len(entries)
    for entry in entries:
        seq += 1
        entry.seq = seq
        entry.prev_hash = prev_hash
        entry.hash = prev_hash = entry_hash(hashed_fields(entry))
    session.add_all(entries)
    try:
        await session.execute(
            update(AuditHead).where(AuditHead.id == HEAD_ID).values(last_hash=prev_hash),
            execution_options={"synchronize_session": False},
        )
        await session.flush()
    except IntegrityError as exc:
        logger.error("audit append failed at seq %d: head and entries disagree", last_seq)
        raise StorageError(
            _("The audit log's head does not match its entries; run 'garrison audit verify'.")
        ) from exc
    if logger.isEnabledFor(logging.DEBUG):
        for entry in entries:
            logger.debug(
                "audit #%d %s %s:%s by %s",
                entry.seq,
                entry.action,
                entry.target_type,
                entry.target_id,
                actor.name,
            )
    return entries


def hashed_fields(entry: AuditEntry) -> HashedFields:
    return HashedFields(
        seq=entry.seq,
        occurred_at=entry.occurred_at,
        actor_kind=entry.actor_kind,
        actor_id=entry.actor_id,
        actor_name=entry.actor_name,
        action=entry.action,
        target_type=entry.target_type,
        target_id=entry.target_id,
        before=entry.before,
        after=entry.after,
        origin=entry.origin,
        prev_hash=entry.prev_hash,
    )


async def _claim_seqs(session: AsyncSession, count: int) -> tuple[int, str]:
    """Reserve ``count`` sequence numbers: the last one, and the hash they chain from."""
    bump = (
        update(AuditHead)
        .where(AuditHead.id == HEAD_ID)
        .values(seq=AuditHead.seq + count)
        .returning(AuditHead.seq, AuditHead.last_hash)
    )
    options = {"synchronize_session": False}
    row = (await session.execute(bump, execution_options=options)).one_or_none()
    if row is None:
        # The migration creates the head; this covers a schema built another way.
        await session.execute(_CREATE_HEAD, {"id": HEAD_ID, "genesis": GENESIS_HASH})
        row = (await session.execute(bump, execution_options=options)).one()
    return int(row.seq), str(row.last_hash)


async def list_audit(
    session: AsyncSession,
    *,
    limit: int,
    before_seq: int | None = None,
    action: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    actor: str | None = None,
) -> list[AuditEntry]:
    """Newest entries first; ``actor`` matches an actor's id or name."""
    if not 1 <= limit <= MAX_LIST_LIMIT:
        raise ValidationFailed(
            _("The limit must be between 1 and %(max)d.") % {"max": MAX_LIST_LIMIT}
        )
    query = select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(limit)
    if before_seq is not None:
        query = query.where(AuditEntry.seq < before_seq)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    if target_type is not None:
        query = query.where(AuditEntry.target_type == target_type)
    if target_id is not None:
        query = query.where(AuditEntry.target_id == target_id)
    if actor is not None:
        query = query.where(or_(AuditEntry.actor_id == actor, AuditEntry.actor_name == actor))
    return list((await session.scalars(query)).all())
