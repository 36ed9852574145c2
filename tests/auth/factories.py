"""Users, tokens, logins and TOTP codes for the auth tests."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from garrison.audit.actor import Actor
from garrison.audit.models import AuditEntry
from garrison.auth import tokens, users
from garrison.auth.models import User
from garrison.auth.permissions import Permission, Role, permissions_for
from garrison.auth.totp import code_at_step, new_totp_secret, time_step
from garrison.runtime.context import AppContext
from garrison.web.app import create_app

PASSWORD = "correct horse battery staple"
TEST_ACTOR = Actor.system("test")


async def make_user(
    context: AppContext,
    username: str = "alice",
    *,
    role: Role = Role.DUTY_OFFICER,
    password: str = PASSWORD,
    totp: bool = False,
    disabled: bool = False,
) -> User:
    """A ready user with a chosen password (no forced change), optionally with TOTP on."""
    async with context.sessions() as session:
        user, _one_time = await users.create_user(
            session,
            username=username,
            role=role,
            display_name=None,
            actor=TEST_ACTOR,
            now=context.clock.now(),
        )
        await users.set_password(
            session, user=user, new_password=password, actor=TEST_ACTOR, now=context.clock.now()
        )
        if totp:
            user.totp_secret = new_totp_secret()
            user.totp_enabled = True
        user.disabled = disabled
        await session.commit()
        return user


async def make_user_with_one_time_password(
    context: AppContext, username: str, *, role: Role = Role.DUTY_OFFICER
) -> str:
    async with context.sessions() as session:
        _user, one_time = await users.create_user(
            session,
            username=username,
            role=role,
            display_name=None,
            actor=TEST_ACTOR,
            now=context.clock.now(),
        )
        await session.commit()
    return one_time


async def make_token(
    context: AppContext,
    username: str,
    *,
    scopes: frozenset[Permission] | None = None,
    lifetime: timedelta = timedelta(days=30),
) -> str:
    async with context.sessions() as session:
        owner = await users.get_user(session, username=username)
        granted = permissions_for(Role(owner.role))
        created = await tokens.create_token(
            session,
            owner=owner,
            name="test",
            scopes=granted if scopes is None else scopes,
            granted=granted,
            expires_at=context.clock.now() + lifetime,
            actor=TEST_ACTOR,
            now=context.clock.now(),
        )
        await session.commit()
    return created.secret


async def load_user(context: AppContext, username: str) -> User:
    async with context.sessions() as session:
        return await users.get_user(session, username=username)


def totp_code(secret: str | None, at: datetime, *, steps_ahead: int = 0) -> str:
    assert secret is not None
    return code_at_step(secret=secret, step=time_step(at) + steps_ahead)


async def log_in(
    client: httpx.AsyncClient, username: str, password: str = PASSWORD, **extra: Any
) -> str:
    """Log in through the API; returns the session's CSRF token."""
    response = await client.post(
        "/api/v1/auth/login", json={"username": username, "password": password, **extra}
    )
    assert response.status_code == 200, response.text
    token = response.json()["csrf_token"]
    assert isinstance(token, str)
    return token


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@contextlib.asynccontextmanager
async def client_from(
    context: AppContext, address: str, *, base_url: str = "http://testserver"
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a fresh app instance, connecting from ``address``."""
    transport = httpx.ASGITransport(app=create_app(context), client=(address, 50000))
    async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
        yield client


async def audit_actions(context: AppContext, *, target_id: str | None = None) -> list[AuditEntry]:
    async with context.sessions() as session:
        query = select(AuditEntry).order_by(AuditEntry.seq)
        if target_id is not None:
            query = query.where(AuditEntry.target_id == target_id)
        return list((await session.scalars(query)).all())
