"""Heartbeat (push) checks: an outside job calls its URL; silence is the failure.

The URL carries the token, the only credential: only its SHA-256 is stored, and
it is compared in constant time. A configured ``token`` is used as is; without
one, an operator issues a token through the API (shown once). Every accepted
beat is a passing result; a run of the check finds a beat within the last
``interval`` seconds or fails, so silence is DOWN after about
``interval * fail_after`` seconds. Rejected calls are audited, at most one per
check per ``REFUSAL_AUDIT_SECONDS`` (unknown check ids share one allowance), so
that an anonymous caller cannot flood the audit log; the rest are only counted.
Accepted calls are results, not audit entries.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.audit.actor import Actor
from garrison.audit.models import AuditEntry
from garrison.audit.service import record_audit
from garrison.auth.principal import RequestOrigin
from garrison.config.checks import Check
from garrison.i18n import gettext as _
from garrison.probes.models import CheckRecord, HeartbeatRecord
from garrison.probes.results import CheckResult, RunContext

TOKEN_BYTES = 24
MAX_TOKEN_LENGTH = 200
GENERATED = "generated"
REFUSAL_AUDIT_SECONDS = 60.0
REJECTED_ACTION = "probes.heartbeat.rejected"
_HEARTBEAT_ACTOR = Actor.system("heartbeat")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


async def accept_heartbeat(
    session: AsyncSession,
    *,
    check_id: str,
    token: str,
    at: datetime,
    origin: RequestOrigin | None = None,
    on_refusal_not_audited: Callable[[], None] | None = None,
) -> bool:
    """Record a beat when the token fits; otherwise audit the refusal. Flushes only.

    A refusal is audited unless one was audited for the same check (for any
    unknown check id) within ``REFUSAL_AUDIT_SECONDS``; then only
    ``on_refusal_not_audited`` is called.
    """
    record = await session.get(HeartbeatRecord, check_id)
    check = await session.get(CheckRecord, check_id)
    expected = record.token_hash if record is not None else None
    # Hash whatever came, so that a wrong id and a wrong token take the same time.
    presented = hash_token(token[:MAX_TOKEN_LENGTH])
    valid = (
        check is not None
        and check.retired_at is None
        and check.type == "heartbeat"
        and expected is not None
        and len(token) <= MAX_TOKEN_LENGTH
    )
    if not hmac.compare_digest(presented, expected or "0" * 64) or not valid:
        if await _refusal_audited_recently(session, check_id=check_id, known=check, at=at):
            if on_refusal_not_audited is not None:
                on_refusal_not_audited()
            return False
        await record_audit(
            session,
            actor=_HEARTBEAT_ACTOR,
            action=REJECTED_ACTION,
            target_type="check",
            target_id=check_id,
            at=at,
            origin=origin,
        )
        return False
    assert record is not None
    record.last_beat_at = at
    await session.flush()
    return True


async def _refusal_audited_recently(
    session: AsyncSession, *, check_id: str, known: CheckRecord | None, at: datetime
) -> bool:
    since = at - timedelta(seconds=REFUSAL_AUDIT_SECONDS)
    query = select(AuditEntry.id).where(
        AuditEntry.action == REJECTED_ACTION,
        AuditEntry.target_type == "check",
        AuditEntry.occurred_at > since,
    )
    if known is not None:
        query = query.where(AuditEntry.target_id == check_id)
    else:
        # Made-up ids share one allowance, or a caller could vary the id to flood the log.
        query = query.where(~exists().where(CheckRecord.id == AuditEntry.target_id))
    return (await session.scalar(query.limit(1))) is not None


async def issue_heartbeat_token(
    session: AsyncSession,
    *,
    check_id: str,
    actor: Actor,
    at: datetime,
    origin: RequestOrigin | None = None,
) -> str:
    """A new random token for a heartbeat check (replacing any other); shown once."""
    token = new_token()
    record = await session.get(HeartbeatRecord, check_id)
    before = None
    if record is None:
        record = HeartbeatRecord(check_id=check_id)
        session.add(record)
    else:
        before = {"token_source": record.token_source, "token_set_at": record.token_set_at}
    record.token_hash = hash_token(token)
    record.token_source = GENERATED
    record.token_set_at = at
    await session.flush()
    await record_audit(
        session,
        actor=actor,
        action="probes.heartbeat.token_issued",
        target_type="check",
        target_id=check_id,
        at=at,
        before=before,
        after={"token_source": GENERATED, "token_set_at": at},
        origin=origin,
    )
    return token


class HeartbeatMonitor:
    """The engine's side: when each push check was last heard from."""

    def __init__(self, *, started_at: datetime) -> None:
        self.started_at = started_at
        self.last_beats: dict[str, datetime] = {}

    def beat(self, check_id: str, at: datetime) -> None:
        known = self.last_beats.get(check_id)
        if known is None or at > known:
            self.last_beats[check_id] = at

    async def __call__(self, check: Check, *, run: RunContext) -> CheckResult:
        last = self.last_beats.get(check.id)
        window = timedelta(seconds=check.interval)
        if last is not None and run.started_at - last <= window:
            return CheckResult(
                ok=True,
                reason="",
                started_at=run.started_at,
                location=run.location,
                details={"last_beat_at": last.isoformat()},
            )
        quiet_since = last if last is not None else self.started_at
        seconds = int((run.started_at - quiet_since).total_seconds())
        if last is None:
            reason = _("no heartbeat received for %(seconds)d s (none since start)")
        else:
            reason = _("no heartbeat received for %(seconds)d s")
        return CheckResult(
            ok=False,
            reason=reason % {"seconds": seconds},
            started_at=run.started_at,
            location=run.location,
            details={"last_beat_at": last.isoformat() if last else None},
        )
