"""User accounts as administrators manage them: create, change, disable, reset."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.audit.actor import Actor
from garrison.audit.service import record_audit
from garrison.auth.models import DISPLAY_NAME_MAX_LENGTH, User
from garrison.auth.passwords import (
    check_password_rules,
    generate_one_time_password,
    hash_password_off_loop,
)
from garrison.auth.permissions import Role
from garrison.auth.principal import RequestOrigin
from garrison.auth.sessions import revoke_user_sessions
from garrison.errors import ConflictError, NotFoundError, ValidationFailed
from garrison.i18n import SUPPORTED_LANGUAGES
from garrison.i18n import gettext as _

USERNAME_PATTERN = re.compile(r"[a-z0-9._-]{3,64}")


def check_username(username: str) -> str:
    if not USERNAME_PATTERN.fullmatch(username):
        raise ValidationFailed(
            _(
                "A username has 3 to 64 characters: lowercase letters, digits, "
                "dot, underscore or hyphen."
            )
        )
    return username


def check_display_name(display_name: str) -> str:
    display_name = display_name.strip()
    if not display_name or len(display_name) > DISPLAY_NAME_MAX_LENGTH:
        raise ValidationFailed(
            _("A display name has 1 to %(count)d characters.") % {"count": DISPLAY_NAME_MAX_LENGTH}
        )
    return display_name


def check_language(language: str) -> str:
    if language not in SUPPORTED_LANGUAGES:
        raise ValidationFailed(_("Unsupported language."))
    return language


def user_actor(user: User) -> Actor:
    """The audit actor for something a user does themselves (logging in, changing a password)."""
    return Actor(kind="user", id=str(user.id), name=user.username)


def user_snapshot(user: User) -> dict[str, Any]:
    """What the audit log keeps of a user: never the hash or the TOTP secret."""
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "disabled": user.disabled,
        "language": user.language,
        "totp_enabled": user.totp_enabled,
        "password_change_required": user.must_change_password,
    }


async def audit_user_change(
    session: AsyncSession,
    *,
    user: User,
    action: str,
    actor: Actor,
    now: datetime,
    before: dict[str, Any] | None,
    origin: RequestOrigin | None,
) -> None:
    await record_audit(
        session,
        actor=actor,
        action=action,
        target_type="user",
        target_id=user.username,
        at=now,
        before=before,
        after=user_snapshot(user),
        origin=origin,
    )


async def find_user(session: AsyncSession, *, username: str) -> User | None:
    return await session.scalar(select(User).where(User.username == username))


async def get_user(session: AsyncSession, *, username: str) -> User:
    user = await find_user(session, username=username)
    if user is None:
        raise NotFoundError(_("There is no user named %(username)s.") % {"username": username})
    return user


async def get_user_by_id(session: AsyncSession, *, user_id: int) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise NotFoundError(_("There is no such user."))
    return user


async def list_users(session: AsyncSession) -> list[User]:
    return list((await session.scalars(select(User).order_by(User.username))).all())


async def count_users(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(User)) or 0)


async def create_user(
    session: AsyncSession,
    *,
    username: str,
    role: Role,
    display_name: str | None,
    actor: Actor,
    now: datetime,
    language: str = "en",
    origin: RequestOrigin | None = None,
) -> tuple[User, str]:
    """Create a user with a generated one-time password, returned once, to be changed at login."""
    check_username(username)
    if await find_user(session, username=username) is not None:
        raise ConflictError(_("The username %(username)s is taken.") % {"username": username})
    one_time_password = generate_one_time_password()
    user = User(
        username=username,
        display_name=check_display_name(display_name or username),
        role=role.value,
        password_hash=await hash_password_off_loop(one_time_password),
        must_change_password=True,
        disabled=False,
        language=check_language(language),
        totp_enabled=False,
        created_at=now,
        updated_at=now,
    )
    session.add(user)
    await session.flush()
    await audit_user_change(
        session, user=user, action="user.created", actor=actor, now=now, before=None, origin=origin
    )
    return user, one_time_password


async def update_user(
    session: AsyncSession,
    *,
    user: User,
    actor: Actor,
    now: datetime,
    role: Role | None = None,
    display_name: str | None = None,
    disabled: bool | None = None,
    origin: RequestOrigin | None = None,
) -> User:
    """Change role, display name or disabled flag; disabling ends the user's sessions."""
    before = user_snapshot(user)
    if (role is not None and role != Role.ADMIN) or disabled:
        await _keep_one_admin(session, user=user)
    if role is not None:
        user.role = role.value
    if display_name is not None:
        user.display_name = check_display_name(display_name)
    if disabled is not None:
        user.disabled = disabled
        if disabled:
            await revoke_user_sessions(session, user_id=user.id, now=now)
    if user_snapshot(user) == before:
        return user
    user.updated_at = now
    await session.flush()
    action = "user.updated"
    if disabled is not None and disabled != before["disabled"]:
        action = "user.disabled" if disabled else "user.enabled"
    await audit_user_change(
        session, user=user, action=action, actor=actor, now=now, before=before, origin=origin
    )
    return user


async def _keep_one_admin(session: AsyncSession, *, user: User) -> None:
    """Refuse to demote or disable the last enabled administrator: nobody could manage users."""
    if user.role != Role.ADMIN.value or user.disabled:
        return
    admins = await session.scalar(
        select(func.count())
        .select_from(User)
        .where(User.role == Role.ADMIN.value, User.disabled.is_(False))
    )
    if (admins or 0) <= 1:
        raise ConflictError(_("This is the last active administrator: keep at least one."))


async def set_password(
    session: AsyncSession,
    *,
    user: User,
    new_password: str | None,
    actor: Actor,
    now: datetime,
    origin: RequestOrigin | None = None,
) -> str | None:
    """Set ``new_password``, or a generated one-time password (returned) when None.

    Setting a password for someone ends their sessions: whoever held them no longer
    knows the password.
    """
    before = user_snapshot(user)
    one_time_password: str | None = None
    if new_password is None:
        one_time_password = generate_one_time_password()
        user.password_hash = await hash_password_off_loop(one_time_password)
        user.must_change_password = True
    else:
        check_password_rules(new_password)
        user.password_hash = await hash_password_off_loop(new_password)
        user.must_change_password = False
    user.updated_at = now
    await revoke_user_sessions(session, user_id=user.id, now=now)
    await session.flush()
    action = "user.password.reset" if one_time_password else "user.password.set"
    await audit_user_change(
        session, user=user, action=action, actor=actor, now=now, before=before, origin=origin
    )
    return one_time_password


async def reset_totp(
    session: AsyncSession,
    *,
    user: User,
    actor: Actor,
    now: datetime,
    origin: RequestOrigin | None = None,
) -> None:
    """Remove the user's authenticator so they can enrol a new one (a lost phone)."""
    before = user_snapshot(user)
    user.totp_secret = None
    user.totp_enabled = False
    user.totp_last_step = None
    user.updated_at = now
    await session.flush()
    await audit_user_change(
        session,
        user=user,
        action="user.totp.reset",
        actor=actor,
        now=now,
        before=before,
        origin=origin,
    )
