"""Removing what authentication no longer needs: old login attempts and dead sessions.

Both stay recorded in the audit log; these rows only serve rate limiting and
cookie lookup.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.auth.models import WebSession
from garrison.auth.ratelimit import prune_login_attempts

# Dead sessions linger a day so that "your session has ended" stays explainable.
DEAD_SESSION_GRACE = timedelta(days=1)


async def purge_stale_auth_records(
    session: AsyncSession, *, now: datetime, login_window_seconds: int
) -> int:
    """Delete attempts older than twice the rate-limit window and long-dead sessions."""
    removed = await prune_login_attempts(
        session, before=now - timedelta(seconds=2 * login_window_seconds)
    )
    cutoff = now - DEAD_SESSION_GRACE
    result = await session.execute(
        delete(WebSession).where(
            or_(WebSession.expires_at < cutoff, WebSession.revoked_at < cutoff)
        )
    )
    return removed + int(getattr(result, "rowcount", 0) or 0)
