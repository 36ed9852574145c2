"""Walking the audit chain and naming the first place where it was tampered with.

Entries are read in ``seq`` order, a page at a time, so memory stays bounded
however long the chain is. The first entry that fails is classified by
``_diagnose``; the head record (read first) bounds the walk and reveals a
deleted last entry or rows added past the end.

The chain proves that nothing changed after it was written, not who wrote it:
someone able to rewrite every entry from some point on, and the head, can
produce a valid chain. Keep ``head_hash`` somewhere else to catch that.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.audit.canonical import GENESIS_HASH, HashedFields, entry_hash
from garrison.audit.models import HEAD_ID, AuditEntry, AuditHead
from garrison.i18n import gettext as _

PAGE_SIZE = 1000
# How far from its place a moved entry is looked for, besides the places its links point to.
_NEAR = 8

ProblemKind = Literal["edited", "deleted", "inserted", "reordered"]


@dataclass(frozen=True, slots=True)
class ChainProblem:
    seq: int
    entry_id: int | None
    kind: ProblemKind
    message: str


@dataclass(frozen=True, slots=True)
class VerifyReport:
    intact: bool
    checked: int
    problem: ChainProblem | None
    head_seq: int
    head_hash: str


@dataclass(frozen=True, slots=True)
class _Stored:
    id: int
    hash: str
    fields: HashedFields

    @property
    def seq(self) -> int:
        return self.fields.seq

    def verifies_as(self, seq: int) -> bool:
        fields = self.fields if seq == self.fields.seq else replace(self.fields, seq=seq)
        return entry_hash(fields) == self.hash


_COLUMNS = (
    AuditEntry.id,
    AuditEntry.seq,
    AuditEntry.occurred_at,
    AuditEntry.actor_kind,
    AuditEntry.actor_id,
    AuditEntry.actor_name,
    AuditEntry.action,
    AuditEntry.target_type,
    AuditEntry.target_id,
    AuditEntry.before,
    AuditEntry.after,
    AuditEntry.origin,
    AuditEntry.prev_hash,
    AuditEntry.hash,
)


async def verify_chain(session: AsyncSession, *, page_size: int = PAGE_SIZE) -> VerifyReport:
    head = await _read_head(session)
    head_seq, head_hash = head if head is not None else (0, GENESIS_HASH)
    checked = 0
    last: _Stored | None = None
    # Without a head the walk is unbounded, so that the entries are still checked.
    upto = head_seq if head is not None else None
    async for entry in _walk(session, upto=upto, page_size=page_size):
        expected_prev = last.hash if last is not None else GENESIS_HASH
        problem = await _check(session, entry, seq=checked + 1, prev_hash=expected_prev)
        if problem is not None:
            return _broken(problem, checked, head_seq, head_hash)
        checked += 1
        last = entry
    problem = await _check_end(session, checked=checked, head=head, last=last)
    if problem is not None:
        return _broken(problem, checked, head_seq, head_hash)
    return VerifyReport(
        intact=True, checked=checked, problem=None, head_seq=head_seq, head_hash=head_hash
    )


def _broken(problem: ChainProblem, checked: int, head_seq: int, head_hash: str) -> VerifyReport:
    # An inserted entry may be found only after it was walked past: it was not intact.
    intact_before = max(0, min(checked, problem.seq - 1))
    return VerifyReport(
        intact=False, checked=intact_before, problem=problem, head_seq=head_seq, head_hash=head_hash
    )


async def _read_head(session: AsyncSession) -> tuple[int, str] | None:
    row = (
        await session.execute(
            select(AuditHead.seq, AuditHead.last_hash).where(AuditHead.id == HEAD_ID)
        )
    ).one_or_none()
    return None if row is None else (int(row.seq), str(row.last_hash))


async def _walk(
    session: AsyncSession, *, upto: int | None, page_size: int
) -> AsyncIterator[_Stored]:
    after: int | None = None
    while True:
        query = select(*_COLUMNS).order_by(AuditEntry.seq).limit(page_size)
        if upto is not None:
            query = query.where(AuditEntry.seq <= upto)
        if after is not None:
            query = query.where(AuditEntry.seq > after)
        rows = (await session.execute(query)).all()
        for row in rows:
            yield _stored(row)
        if len(rows) < page_size:
            return
        after = int(rows[-1].seq)


def _stored(row: Row[Any]) -> _Stored:
    return _Stored(
        id=int(row.id),
        hash=str(row.hash),
        fields=HashedFields(
            seq=int(row.seq),
            occurred_at=row.occurred_at,
            actor_kind=row.actor_kind,
            actor_id=row.actor_id,
            actor_name=row.actor_name,
            action=row.action,
            target_type=row.target_type,
            target_id=row.target_id,
            before=row.before,
            after=row.after,
            origin=row.origin,
            prev_hash=str(row.prev_hash),
        ),
    )


async def _check(
    session: AsyncSession, entry: _Stored, *, seq: int, prev_hash: str
) -> ChainProblem | None:
    """Check the entry found where entry ``seq``, following ``prev_hash``, belongs."""
    if entry.seq < seq:
        return _inserted(entry.seq, entry.id)
    if entry.seq > seq:
        return await _diagnose_gap(session, seq=seq, prev_hash=prev_hash)
    content_ok = entry.verifies_as(entry.seq)
    link_ok = entry.fields.prev_hash == prev_hash
    if content_ok and link_ok:
        return None
    return await _diagnose(session, entry, prev_hash=prev_hash, content_ok=content_ok)


async def _diagnose(
    session: AsyncSession, entry: _Stored, *, prev_hash: str, content_ok: bool
) -> ChainProblem:
    seq = entry.seq
    link_ok = entry.fields.prev_hash == prev_hash
    if not link_ok and entry_hash(replace(entry.fields, prev_hash=prev_hash)) == entry.hash:
        # Only the stored link was changed.
        return _edited(seq, entry.id)
    original = None if content_ok else await _original_seq(session, entry)
    if (
        not link_ok
        and (content_ok or original is not None)
        and entry.fields.prev_hash != GENESIS_HASH
        and not await _rows_with(session, AuditEntry.hash, entry.fields.prev_hash)
    ):
        # An intact entry whose predecessor is gone: entries were deleted and renumbered.
        return _deleted(seq, following=entry)
    if original is not None and original > seq:
        return _reordered(seq, entry, original)
    if original is not None:
        return await _inserted_before(session, entry, original)
    successors = await _rows_with(session, AuditEntry.prev_hash, prev_hash)
    if any(other.id != entry.id for other in successors):
        # The true successor of the previous entry exists elsewhere: this one was added.
        return _inserted(seq, entry.id)
    return _edited(seq, entry.id)


async def _diagnose_gap(session: AsyncSession, *, seq: int, prev_hash: str) -> ChainProblem:
    """No entry holds ``seq``: it was deleted, or moved away from its place."""
    for candidate in await _rows_with(session, AuditEntry.prev_hash, prev_hash):
        if candidate.verifies_as(seq):
            return _reordered(seq, candidate, seq)
    return _deleted(seq, following=None)


async def _check_end(
    session: AsyncSession, *, checked: int, head: tuple[int, str] | None, last: _Stored | None
) -> ChainProblem | None:
    if head is None:
        return None if last is None else _head_missing(last)
    head_seq, head_hash = head
    if checked < head_seq:
        prev_hash = last.hash if last is not None else GENESIS_HASH
        return await _diagnose_gap(session, seq=checked + 1, prev_hash=prev_hash)
    if last is not None and head_hash != last.hash:
        return ChainProblem(
            seq=last.seq,
            entry_id=last.id,
            kind="edited",
            message=_("Entry #%(seq)d (id %(id)d) is not the last entry the chain head recorded.")
            % {"seq": last.seq, "id": last.id},
        )
    beyond = (
        await session.execute(
            select(AuditEntry.id, AuditEntry.seq)
            .where(AuditEntry.seq > head_seq)
            .order_by(AuditEntry.seq)
            .limit(1)
        )
    ).one_or_none()
    if beyond is None:
        return None
    # Appends may have been committed since the head was read: read it again.
    fresh = await _read_head(session)
    if fresh is not None and beyond.seq <= fresh[0]:
        return None
    return _inserted(int(beyond.seq), int(beyond.id))


def _head_missing(last: _Stored) -> ChainProblem:
    return ChainProblem(
        seq=last.seq + 1,
        entry_id=None,
        kind="deleted",
        message=_(
            "The chain head record was deleted: entries after #%(seq)d (id %(id)d) may be missing."
        )
        % {"seq": last.seq, "id": last.id},
    )


async def _original_seq(session: AsyncSession, entry: _Stored) -> int | None:
    """The seq under which a moved entry was recorded, if it verifies under another one."""
    candidates: set[int] = set(range(entry.seq - _NEAR, entry.seq + _NEAR + 1))
    if entry.fields.prev_hash == GENESIS_HASH:
        candidates.add(1)
    candidates.update(
        row.seq + 1 for row in await _rows_with(session, AuditEntry.hash, entry.fields.prev_hash)
    )
    candidates.update(
        row.seq - 1 for row in await _rows_with(session, AuditEntry.prev_hash, entry.hash)
    )
    candidates.discard(entry.seq)
    for candidate in sorted(c for c in candidates if c >= 1):
        if entry.verifies_as(candidate):
            return candidate
    return None


async def _inserted_before(session: AsyncSession, entry: _Stored, original: int) -> ChainProblem:
    """``entry`` belongs at ``original``, earlier: whatever holds that place was added."""
    holders = (await session.execute(select(*_COLUMNS).where(AuditEntry.seq == original))).all()
    holder = _stored(holders[0]) if holders else None
    if holder is None or holder.hash == entry.hash:
        # The entry is a copy of the one in its place: the copy is the addition.
        return _inserted(entry.seq, entry.id)
    return _inserted(holder.seq, holder.id)


async def _rows_with(session: AsyncSession, column: Any, value: str) -> Sequence[_Stored]:
    rows = (
        await session.execute(select(*_COLUMNS).where(column == value).order_by(AuditEntry.seq))
    ).all()
    return [_stored(row) for row in rows]


def _edited(seq: int, entry_id: int) -> ChainProblem:
    return ChainProblem(
        seq=seq,
        entry_id=entry_id,
        kind="edited",
        message=_("Entry #%(seq)d (id %(id)d) was edited: its content does not match its hash.")
        % {"seq": seq, "id": entry_id},
    )


def _deleted(seq: int, *, following: _Stored | None) -> ChainProblem:
    if following is None:
        message = _("Entry #%(seq)d was deleted: it is missing from the chain.") % {"seq": seq}
    else:
        message = _(
            "An entry was deleted before entry id %(id)d, which now holds #%(seq)d: "
            "the entry it follows is missing."
        ) % {"seq": seq, "id": following.id}
    return ChainProblem(seq=seq, entry_id=None, kind="deleted", message=message)


def _inserted(seq: int, entry_id: int) -> ChainProblem:
    return ChainProblem(
        seq=seq,
        entry_id=entry_id,
        kind="inserted",
        message=_("Entry #%(seq)d (id %(id)d) was inserted: it is not part of the chain.")
        % {"seq": seq, "id": entry_id},
    )


def _reordered(seq: int, entry: _Stored, original: int) -> ChainProblem:
    if original == seq:
        message = _("Entry #%(seq)d (id %(id)d) was moved: it now holds #%(now)d.") % {
            "seq": seq,
            "id": entry.id,
            "now": entry.seq,
        }
    else:
        message = _(
            "Entries were reordered: entry id %(id)d holds #%(seq)d but was recorded as #%(was)d."
        ) % {"seq": seq, "id": entry.id, "was": original}
    return ChainProblem(seq=seq, entry_id=entry.id, kind="reordered", message=message)
