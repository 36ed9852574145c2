"""Logging in and out: rate limit, password, second factor, session, and their audit trail.

A failed attempt is recorded and audited, then reported through
``LoginResult.error`` so the caller can commit the record before answering.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.audit.actor import Actor
from garrison.audit.service import record_audit
from garrison.auth.access import AccessRestriction, restriction_for
from garrison.auth.models import User, WebSession
from garrison.auth.passwords import (
    hash_password_off_loop,
    needs_rehash,
    spend_verification_time_off_loop,
    verify_password_off_loop,
)
from garrison.auth.principal import RequestOrigin
from garrison.auth.ratelimit import (
    LoginOutcome,
    check_login_allowed,
    normalise_login_name,
    record_login_attempt,
)
from garrison.auth.sessions import StartedSession, end_session, start_session
from garrison.auth.totp import match_code
from garrison.auth.users import user_actor
from garrison.errors import AuthenticationError, GarrisonError, RateLimited
from garrison.i18n import gettext as _
from garrison.settings import Settings
from garrison.storage.engine import reading

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LoginResult:
    """Either a started session for ``user`` or the error to answer with."""

    user: User | None = None
    started: StartedSession | None = None
    restriction: AccessRestriction | None = None
    error: GarrisonError | None = None


def _invalid_credentials() -> AuthenticationError:
    # The same words for an unknown user, a wrong password and a disabled account.
    return AuthenticationError(_("The username or password is incorrect."))


async def attempt_login(
    session: AsyncSession,
    *,
    username: str,
    password: str,
    totp_code: str | None,
    settings: Settings,
    now: datetime,
    origin: RequestOrigin | None,
) -> LoginResult:
    name = normalise_login_name(username)
    address = origin.address if origin else None
    # The password check is slow (argon2): read without holding SQLite's write lock;
    # the writes that follow take it.
    reading(session)
    try:
        await check_login_allowed(
            session,
            username=name,
            address=address,
            now=now,
            window_seconds=settings.login_window_seconds,
            max_per_account=settings.login_max_failures_per_account,
            max_per_address=settings.login_max_failures_per_address,
        )
    except RateLimited as exc:
        await _fail(
            session, name=name, user=None, outcome=LoginOutcome.RATE_LIMITED, now=now, origin=origin
        )
        return LoginResult(error=exc)
    user, failure = await _check_password(session, name=name, password=password)
    if failure is not None:
        await _fail(session, name=name, user=user, outcome=failure, now=now, origin=origin)
        return LoginResult(error=_invalid_credentials())
    assert user is not None
    if user.totp_enabled:
        second_factor_error = await _check_second_factor(
            session, user=user, code=totp_code, now=now, origin=origin
        )
        if second_factor_error is not None:
            return LoginResult(error=second_factor_error)
    if needs_rehash(user.password_hash):
        user.password_hash = await hash_password_off_loop(password)
    return await _open_session(session, user=user, settings=settings, now=now, origin=origin)


async def _check_password(
    session: AsyncSession, *, name: str, password: str
) -> tuple[User | None, LoginOutcome | None]:
    """The user, and why the password check failed (None when it passed)."""
    user = await session.scalar(select(User).where(User.username == name))
    if user is None:
        await spend_verification_time_off_loop(password)
        return None, LoginOutcome.UNKNOWN_USER
    if not await verify_password_off_loop(user.password_hash, password):
        return user, LoginOutcome.BAD_PASSWORD
    # Checked after the password, so a disabled account answers as slowly as any other.
    if user.disabled:
        return user, LoginOutcome.DISABLED
    return user, None


async def _open_session(
    session: AsyncSession,
    *,
    user: User,
    settings: Settings,
    now: datetime,
    origin: RequestOrigin | None,
) -> LoginResult:
    address = origin.address if origin else None
    started = await start_session(
        session, user=user, now=now, lifetime=timedelta(hours=settings.session_hours), origin=origin
    )
    await record_login_attempt(
        session, username=user.username, address=address, outcome=LoginOutcome.SUCCESS, at=now
    )
    await record_audit(
        session,
        actor=user_actor(user),
        action="auth.login.succeeded",
        target_type="user",
        target_id=user.username,
        at=now,
        after={"session_id": started.record.id},
        origin=origin,
    )
    logger.info("login succeeded for user %s", user.username)
    restriction = restriction_for(user, totp_required_roles=settings.totp_required_roles)
    return LoginResult(user=user, started=started, restriction=restriction)


async def _check_second_factor(
    session: AsyncSession,
    *,
    user: User,
    code: str | None,
    now: datetime,
    origin: RequestOrigin | None,
) -> GarrisonError | None:
    if not code:
        await _fail(
            session,
            name=user.username,
            user=user,
            outcome=LoginOutcome.TOTP_MISSING,
            now=now,
            origin=origin,
        )
        return AuthenticationError(_("A code from your authenticator app is needed to log in."))
    assert user.totp_secret is not None
    step = match_code(
        secret=user.totp_secret, code=code, at=now, last_used_step=user.totp_last_step
    )
    if step is None:
        await _fail(
            session,
            name=user.username,
            user=user,
            outcome=LoginOutcome.TOTP_INVALID,
            now=now,
            origin=origin,
        )
        return AuthenticationError(
            _("The authenticator code is wrong or was already used. Wait for a new code.")
        )
    user.totp_last_step = step
    return None


async def _fail(
    session: AsyncSession,
    *,
    name: str,
    user: User | None,
    outcome: LoginOutcome,
    now: datetime,
    origin: RequestOrigin | None,
) -> None:
    await record_login_attempt(
        session, username=name, address=origin.address if origin else None, outcome=outcome, at=now
    )
    await record_audit(
        session,
        actor=Actor.system("login"),
        action="auth.login.failed",
        target_type="user",
        target_id=name,
        at=now,
        after={"outcome": outcome.value, "user_id": user.id if user else None},
        origin=origin,
    )
    logger.info("login failed for %r: %s", name, outcome.value)


async def log_out(
    session: AsyncSession,
    *,
    session_id: int,
    actor: Actor,
    now: datetime,
    origin: RequestOrigin | None,
) -> None:
    record = await session.get(WebSession, session_id)
    if record is None or record.revoked_at is not None:
        return
    await end_session(session, record=record, now=now)
    await record_audit(
        session,
        actor=actor,
        action="auth.logout",
        target_type="user",
        target_id=actor.name,
        at=now,
        after={"session_id": record.id},
        origin=origin,
    )
