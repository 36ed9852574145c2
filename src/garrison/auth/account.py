"""What users do to their own account: password, profile, authenticator enrolment."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.audit.service import record_audit
from garrison.auth.models import User, WebSession
from garrison.auth.passwords import (
    check_password_rules,
    hash_password_off_loop,
    verify_password_off_loop,
)
from garrison.auth.principal import RequestOrigin
from garrison.auth.ratelimit import LoginOutcome, check_login_allowed, record_login_attempt
from garrison.auth.totp import match_code, new_totp_secret
from garrison.auth.users import (
    audit_user_change,
    check_display_name,
    check_language,
    user_actor,
    user_snapshot,
)
from garrison.errors import ConflictError, ValidationFailed
from garrison.i18n import gettext as _
from garrison.settings import Settings


async def change_own_password(
    session: AsyncSession,
    *,
    user: User,
    current_password: str,
    new_password: str,
    keep_session_id: int | None,
    settings: Settings,
    now: datetime,
    origin: RequestOrigin | None = None,
) -> bool:
    """Replace the password; False (with the failure recorded) when the current one is wrong.

    Wrong current passwords count towards the login rate limit, so a stolen session
    cannot be used to guess the password. Other sessions of the user end.
    """
    address = origin.address if origin else None
    await check_login_allowed(
        session,
        username=user.username,
        address=address,
        now=now,
        window_seconds=settings.login_window_seconds,
        max_per_account=settings.login_max_failures_per_account,
        max_per_address=settings.login_max_failures_per_address,
    )
    if not await verify_password_off_loop(user.password_hash, current_password):
        await record_login_attempt(
            session,
            username=user.username,
            address=address,
            outcome=LoginOutcome.BAD_PASSWORD,
            at=now,
        )
        await record_audit(
            session,
            actor=user_actor(user),
            action="user.password.change_failed",
            target_type="user",
            target_id=user.username,
            at=now,
            after={"outcome": LoginOutcome.BAD_PASSWORD.value},
            origin=origin,
        )
        return False
    if new_password == current_password:
        raise ValidationFailed(_("The new password must differ from the current one."))
    check_password_rules(new_password)
    before = user_snapshot(user)
    user.password_hash = await hash_password_off_loop(new_password)
    user.must_change_password = False
    ending = update(WebSession).where(
        WebSession.user_id == user.id, WebSession.revoked_at.is_(None)
    )
    if keep_session_id is not None:
        ending = ending.where(WebSession.id != keep_session_id)
    await session.execute(ending.values(revoked_at=now))
    await _record_own_change(
        session, user=user, action="user.password.changed", now=now, before=before, origin=origin
    )
    return True


async def update_profile(
    session: AsyncSession,
    *,
    user: User,
    now: datetime,
    language: str | None = None,
    display_name: str | None = None,
    origin: RequestOrigin | None = None,
) -> User:
    before = user_snapshot(user)
    if language is not None:
        user.language = check_language(language)
    if display_name is not None:
        user.display_name = check_display_name(display_name)
    if user_snapshot(user) == before:
        return user
    await _record_own_change(
        session, user=user, action="user.profile.updated", now=now, before=before, origin=origin
    )
    return user


async def start_totp_setup(
    session: AsyncSession, *, user: User, now: datetime, origin: RequestOrigin | None = None
) -> str:
    """A new secret, kept but not enforced until a code from it is confirmed."""
    if user.totp_enabled:
        raise ConflictError(
            _("Two-factor authentication is already on. An administrator can reset it.")
        )
    before = user_snapshot(user)
    secret = new_totp_secret()
    user.totp_secret = secret
    user.totp_last_step = None
    await _record_own_change(
        session, user=user, action="user.totp.setup_started", now=now, before=before, origin=origin
    )
    return secret


async def confirm_totp(
    session: AsyncSession,
    *,
    user: User,
    code: str,
    now: datetime,
    origin: RequestOrigin | None = None,
) -> None:
    if user.totp_enabled:
        raise ConflictError(_("Two-factor authentication is already on."))
    if user.totp_secret is None:
        raise ConflictError(_("Start the two-factor setup first."))
    step = match_code(secret=user.totp_secret, code=code, at=now, last_used_step=None)
    if step is None:
        raise ValidationFailed(_("The code is not valid. Check your device's clock and try again."))
    before = user_snapshot(user)
    user.totp_enabled = True
    user.totp_last_step = step
    await _record_own_change(
        session, user=user, action="user.totp.enrolled", now=now, before=before, origin=origin
    )


async def _record_own_change(
    session: AsyncSession,
    *,
    user: User,
    action: str,
    now: datetime,
    before: dict[str, Any],
    origin: RequestOrigin | None,
) -> None:
    """Stamp, write and audit a change users made to their own account."""
    user.updated_at = now
    await session.flush()
    await audit_user_change(
        session,
        user=user,
        action=action,
        actor=user_actor(user),
        now=now,
        before=before,
        origin=origin,
    )
