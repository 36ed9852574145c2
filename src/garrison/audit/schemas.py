"""API shapes of the audit log and of a chain verification."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from garrison.audit.models import AuditEntry
from garrison.audit.verify import ChainProblem, VerifyReport


class ActorOut(BaseModel):
    kind: str
    id: str | None
    name: str


class OriginOut(BaseModel):
    model_config = ConfigDict(extra="ignore")

    address: str | None = None
    user_agent: str | None = None
    request_id: str | None = None
    channel: str | None = None


class AuditEntryOut(BaseModel):
    id: int
    seq: int
    occurred_at: datetime
    actor: ActorOut
    action: str
    target_type: str
    target_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    origin: OriginOut | None
    prev_hash: str
    hash: str

    @classmethod
    def from_entry(cls, entry: AuditEntry) -> AuditEntryOut:
        return cls(
            id=entry.id,
            seq=entry.seq,
            occurred_at=entry.occurred_at,
            actor=ActorOut(kind=entry.actor_kind, id=entry.actor_id, name=entry.actor_name),
            action=entry.action,
            target_type=entry.target_type,
            target_id=entry.target_id,
            before=entry.before,
            after=entry.after,
            origin=None if entry.origin is None else OriginOut.model_validate(entry.origin),
            prev_hash=entry.prev_hash,
            hash=entry.hash,
        )


class AuditPage(BaseModel):
    entries: list[AuditEntryOut]
    # Pass as ``before_seq`` to get the next (older) page; null on the last page.
    next_before_seq: int | None


class ChainProblemOut(BaseModel):
    seq: int
    entry_id: int | None
    kind: Literal["edited", "deleted", "inserted", "reordered"]
    message: str

    @classmethod
    def from_problem(cls, problem: ChainProblem) -> ChainProblemOut:
        return cls(
            seq=problem.seq, entry_id=problem.entry_id, kind=problem.kind, message=problem.message
        )


class VerifyReportOut(BaseModel):
    intact: bool
    checked: int
    problem: ChainProblemOut | None
    head_seq: int
    head_hash: str

    @classmethod
    def from_report(cls, report: VerifyReport) -> VerifyReportOut:
        return cls(
            intact=report.intact,
            checked=report.checked,
            problem=None
            if report.problem is None
            else ChainProblemOut.from_problem(report.problem),
            head_seq=report.head_seq,
            head_hash=report.head_hash,
        )
