"""Login rate limiting, counted from the ``login_attempt`` table.

Counting rows rather than memory makes the limit survive restarts and hold
across several processes sharing the database.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.auth.models import USERNAME_MAX_LENGTH, LoginAttempt
from garrison.errors import RateLimited
from garrison.i18n import gettext as _

ADDRESS_MAX_LENGTH = 64


class LoginOutcome(StrEnum):
    SUCCESS = "success"
    UNKNOWN_USER = "unknown_user"
    BAD_PASSWORD = "bad_password"  # noqa: S105 (an outcome, not a secret)
    DISABLED = "disabled"
    TOTP_MISSING = "totp_missing"
    TOTP_INVALID = "totp_invalid"
    RATE_LIMITED = "rate_limited"


# A missing code is a step of a normal login, not a guess; a refused attempt is not
# counted either, or a locked-out attacker would extend the lockout of their victim forever.
COUNTED_FAILURES = frozenset(
    {
        LoginOutcome.UNKNOWN_USER,
        LoginOutcome.BAD_PASSWORD,
        LoginOutcome.DISABLED,
        LoginOutcome.TOTP_INVALID,
    }
)


def normalise_login_name(username: str) -> str:
    return username.strip().lower()[:USERNAME_MAX_LENGTH]


async def record_login_attempt(
    session: AsyncSession,
    *,
    username: str,
    address: str | None,
    outcome: LoginOutcome,
    at: datetime,
) -> None:
    session.add(
        LoginAttempt(
            at=at,
            username=normalise_login_name(username),
            address=(address or "")[:ADDRESS_MAX_LENGTH] or None,
            outcome=outcome.value,
        )
    )
    await session.flush()


async def check_login_allowed(
    session: AsyncSession,
    *,
    username: str,
    address: str | None,
    now: datetime,
    window_seconds: int,
    max_per_account: int,
    max_per_address: int,
) -> None:
    """Raise RateLimited when the account or the address has too many recent failures.

    A successful login ends the account's run of failures but not the address's:
    an attacker who owns one account must not reset the count for guessing others.
    """
    window = timedelta(seconds=window_seconds)
    name = normalise_login_name(username)
    last_success = await session.scalar(
        select(func.max(LoginAttempt.at)).where(
            LoginAttempt.username == name, LoginAttempt.outcome == LoginOutcome.SUCCESS.value
        )
    )
    since = now - window
    if last_success is not None and last_success > since:
        since = last_success
    waits = [
        await _wait_seconds(
            session,
            LoginAttempt.username == name,
            since=since,
            now=now,
            window=window,
            limit=max_per_account,
        )
    ]
    if address:
        waits.append(
            await _wait_seconds(
                session,
                LoginAttempt.address == address[:ADDRESS_MAX_LENGTH],
                since=now - window,
                now=now,
                window=window,
                limit=max_per_address,
            )
        )
    wait = max(waits)
    if wait > 0:
        raise RateLimited(
            _("Too many failed login attempts. Try again later."), retry_after_seconds=wait
        )


async def _wait_seconds(
    session: AsyncSession,
    condition: ColumnElement[bool],
    *,
    since: datetime,
    now: datetime,
    window: timedelta,
    limit: int,
) -> int:
    """Seconds until fewer than ``limit`` failures remain in the window (0: not limited)."""
    recent = (
        await session.scalars(
            select(LoginAttempt.at)
            .where(
                condition,
                LoginAttempt.at > since,
                LoginAttempt.outcome.in_([outcome.value for outcome in COUNTED_FAILURES]),
            )
            .order_by(LoginAttempt.at.desc(), LoginAttempt.id.desc())
            .limit(limit)
        )
    ).all()
    if len(recent) < limit:
        return 0
    return max(1, math.ceil((recent[-1] + window - now).total_seconds()))


async def prune_login_attempts(session: AsyncSession, *, before: datetime) -> int:
    result = await session.execute(delete(LoginAttempt).where(LoginAttempt.at < before))
    return int(getattr(result, "rowcount", 0) or 0)
