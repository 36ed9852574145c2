"""API tokens: ``gar_`` + random, shown once, stored as a SHA-256 digest.

A token acts with its scopes intersected with its owner's current role, so a
demoted or disabled owner takes their tokens' power down with them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.audit.actor import Actor
from garrison.audit.service import record_audit
from garrison.auth.models import ApiToken, User
from garrison.auth.permissions import Permission
from garrison.auth.principal import RequestOrigin
from garrison.auth.sessions import MAX_CREDENTIAL_LENGTH, credential_digest
from garrison.errors import NotFoundError, PermissionDenied, ValidationFailed
from garrison.i18n import gettext as _

TOKEN_PREFIX = "gar_"  # noqa: S105 (the public prefix, not a secret)
TOKEN_RANDOM_BYTES = 32
DISPLAY_PREFIX_LENGTH = len(TOKEN_PREFIX) + 8
MAX_TOKEN_LIFETIME = timedelta(days=365)
DEFAULT_TOKEN_LIFETIME = timedelta(days=90)
LAST_USED_PRECISION = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class CreatedToken:
    record: ApiToken
    secret: str


def token_expiry(
    *, now: datetime, expires_in_days: int | None, expires_at: datetime | None
) -> datetime:
    if expires_in_days is not None and expires_at is not None:
        raise ValidationFailed(_("Give either a lifetime in days or an expiry time, not both."))
    if expires_at is None:
        days = DEFAULT_TOKEN_LIFETIME.days if expires_in_days is None else expires_in_days
        if days < 1:
            raise ValidationFailed(_("A token must be valid for at least one day."))
        expires_at = now + timedelta(days=days)
    if expires_at.tzinfo is None:
        raise ValidationFailed(_("The expiry time must include a time zone."))
    if expires_at <= now:
        raise ValidationFailed(_("The expiry time must be in the future."))
    if expires_at > now + MAX_TOKEN_LIFETIME:
        raise ValidationFailed(_("A token may be valid for at most 365 days."))
    return expires_at


def token_snapshot(token: ApiToken) -> dict[str, Any]:
    return {
        "name": token.name,
        "prefix": token.prefix,
        "owner_id": token.user_id,
        "scopes": sorted(token.scopes),
        "expires_at": token.expires_at.isoformat(),
        "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
    }


async def create_token(
    session: AsyncSession,
    *,
    owner: User,
    name: str,
    scopes: frozenset[Permission],
    granted: frozenset[Permission],
    expires_at: datetime,
    actor: Actor,
    now: datetime,
    origin: RequestOrigin | None = None,
) -> CreatedToken:
    """Create a token for ``owner``; ``granted`` is what the creator may hand on."""
    excess = scopes - granted
    if excess:
        raise PermissionDenied(
            _("A token cannot hold permissions you do not have: %(scopes)s")
            % {"scopes": ", ".join(sorted(excess))}
        )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_RANDOM_BYTES)
    record = ApiToken(
        user_id=owner.id,
        name=name,
        prefix=secret[:DISPLAY_PREFIX_LENGTH],
        token_hash=credential_digest(secret),
        scopes=sorted(scope.value for scope in scopes),
        created_at=now,
        expires_at=expires_at,
    )
    session.add(record)
    await session.flush()
    await record_audit(
        session,
        actor=actor,
        action="token.created",
        target_type="api_token",
        target_id=str(record.id),
        at=now,
        after=token_snapshot(record),
        origin=origin,
    )
    return CreatedToken(record=record, secret=secret)


async def list_tokens(session: AsyncSession, *, owner_id: int | None) -> list[tuple[ApiToken, str]]:
    """Tokens with their owner's username; every user's when ``owner_id`` is None."""
    query = select(ApiToken, User.username).join(User, User.id == ApiToken.user_id)
    if owner_id is not None:
        query = query.where(ApiToken.user_id == owner_id)
    rows = await session.execute(query.order_by(ApiToken.id))
    return [(token, owner) for token, owner in rows]


async def get_token(session: AsyncSession, *, token_id: int) -> ApiToken:
    token = await session.get(ApiToken, token_id)
    if token is None:
        raise NotFoundError(_("There is no such token."))
    return token


async def revoke_token(
    session: AsyncSession,
    *,
    token: ApiToken,
    actor: Actor,
    now: datetime,
    origin: RequestOrigin | None = None,
) -> None:
    if token.revoked_at is not None:
        return
    before = token_snapshot(token)
    token.revoked_at = now
    await session.flush()
    await record_audit(
        session,
        actor=actor,
        action="token.revoked",
        target_type="api_token",
        target_id=str(token.id),
        at=now,
        before=before,
        after=token_snapshot(token),
        origin=origin,
    )


async def find_active_token(
    session: AsyncSession, *, secret: str, now: datetime
) -> tuple[ApiToken, User] | None:
    """The live token and its enabled owner, or None; notes when it was last used."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > MAX_CREDENTIAL_LENGTH:
        return None
    row = (
        await session.execute(
            select(ApiToken, User)
            .join(User, User.id == ApiToken.user_id)
            .where(ApiToken.token_hash == credential_digest(secret))
        )
    ).one_or_none()
    if row is None:
        return None
    token, owner = row
    if token.revoked_at is not None or token.expires_at <= now or owner.disabled:
        return None
    # Written at most once a minute so that a busy script does not turn reads into writes.
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        token.last_used_at = now
        await session.flush()
    return token, owner
