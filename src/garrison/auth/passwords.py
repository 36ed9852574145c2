"""Password hashing (argon2id), password rules and generated one-time passwords.

argon2 spends CPU time on purpose: code on the event loop hashes and verifies through the
``*_off_loop`` coroutines, which run the hasher in a worker thread.
"""

from __future__ import annotations

import asyncio
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from garrison.errors import ValidationFailed
from garrison.i18n import gettext as _

PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 1024
ONE_TIME_PASSWORD_BYTES = 15


@cache
def password_hasher() -> PasswordHasher:
    """The hasher with the current parameters (argon2-cffi's defaults are RFC 9106's)."""
    return PasswordHasher()


@cache
def _dummy_hash() -> str:
    return password_hasher().hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return str(password_hasher().hash(password))


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return bool(password_hasher().verify(password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


async def hash_password_off_loop(password: str) -> str:
    return await asyncio.to_thread(hash_password, password)


async def verify_password_off_loop(password_hash: str, password: str) -> bool:
    return await asyncio.to_thread(verify_password, password_hash, password)


def needs_rehash(password_hash: str) -> bool:
    try:
        return bool(password_hasher().check_needs_rehash(password_hash))
    except InvalidHashError:
        return True


def spend_verification_time(password: str) -> None:
    """Verify against a throwaway hash so an unknown user costs as much as a known one."""
    verify_password(_dummy_hash(), password)


async def spend_verification_time_off_loop(password: str) -> None:
    await asyncio.to_thread(spend_verification_time, password)


def check_password_rules(password: str) -> None:
    if len(password) < PASSWORD_MIN_LENGTH:
        raise ValidationFailed(
            _("The password must have at least %(count)d characters.")
            % {"count": PASSWORD_MIN_LENGTH}
        )
    if len(password) > PASSWORD_MAX_LENGTH:
        raise ValidationFailed(
            _("The password must have at most %(count)d characters.")
            % {"count": PASSWORD_MAX_LENGTH}
        )


def generate_one_time_password() -> str:
    """A random password (20 URL-safe characters) that the user must replace at first login."""
    return secrets.token_urlsafe(ONE_TIME_PASSWORD_BYTES)
