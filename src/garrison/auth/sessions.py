"""Browser sessions: a random cookie token, stored only as its SHA-256 digest."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.auth.models import User, WebSession
from garrison.auth.principal import RequestOrigin

SESSION_COOKIE = "garrison_session"
SESSION_TOKEN_BYTES = 32
CSRF_TOKEN_BYTES = 32
# Longer cookie values cannot be ours; refusing them early avoids hashing junk.
MAX_CREDENTIAL_LENGTH = 200


def credential_digest(raw: str) -> str:
    """The SHA-256 hex digest under which a session or API token is stored."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class StartedSession:
    record: WebSession
    cookie_value: str


async def start_session(
    session: AsyncSession,
    *,
    user: User,
    now: datetime,
    lifetime: timedelta,
    origin: RequestOrigin | None,
) -> StartedSession:
    cookie_value = secrets.token_urlsafe(SESSION_TOKEN_BYTES)
    record = WebSession(
        user_id=user.id,
        token_hash=credential_digest(cookie_value),
        csrf_token=secrets.token_urlsafe(CSRF_TOKEN_BYTES),
        created_at=now,
        expires_at=now + lifetime,
        address=origin.address[:64] if origin and origin.address else None,
        user_agent=origin.user_agent if origin else None,
    )
    session.add(record)
    await session.flush()
    return StartedSession(record=record, cookie_value=cookie_value)


async def find_active_session(
    session: AsyncSession, *, cookie_value: str, now: datetime
) -> tuple[WebSession, User] | None:
    """The live session and its enabled user for a cookie value, or None."""
    if not cookie_value or len(cookie_value) > MAX_CREDENTIAL_LENGTH:
        return None
    row = (
        await session.execute(
            select(WebSession, User)
            .join(User, User.id == WebSession.user_id)
            .where(WebSession.token_hash == credential_digest(cookie_value))
        )
    ).one_or_none()
    if row is None:
        return None
    record, user = row
    if record.revoked_at is not None or record.expires_at <= now or user.disabled:
        return None
    return record, user


async def end_session(session: AsyncSession, *, record: WebSession, now: datetime) -> None:
    if record.revoked_at is None:
        record.revoked_at = now
        await session.flush()


async def revoke_user_sessions(session: AsyncSession, *, user_id: int, now: datetime) -> None:
    await session.execute(
        update(WebSession)
        .where(WebSession.user_id == user_id, WebSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )
