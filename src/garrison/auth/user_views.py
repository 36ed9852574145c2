"""User administration over HTTP."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from garrison.audit.actor import Actor
from garrison.auth import users
from garrison.auth.dependencies import require
from garrison.auth.permissions import Permission
from garrison.auth.principal import Principal
from garrison.auth.schemas import (
    PasswordResetOut,
    UserCreatedOut,
    UserCreateIn,
    UserOut,
    UserUpdateIn,
)
from garrison.web.dependencies import Context, DbSession, Origin

router = APIRouter(tags=["users"])

UserReader = Annotated[Principal, Depends(require(Permission.USER_READ))]
UserManager = Annotated[Principal, Depends(require(Permission.USER_MANAGE))]


@router.get("/users", response_model=list[UserOut])
async def list_users(*, _principal: UserReader, session: DbSession) -> list[UserOut]:
    return [UserOut.of(user) for user in await users.list_users(session)]


@router.get("/users/{username}", response_model=UserOut)
async def read_user(*, username: str, _principal: UserReader, session: DbSession) -> UserOut:
    return UserOut.of(await users.get_user(session, username=username))


@router.post("/users", response_model=UserCreatedOut, status_code=201)
async def create_user(
    *,
    body: UserCreateIn,
    principal: UserManager,
    context: Context,
    session: DbSession,
    origin: Origin,
) -> UserCreatedOut:
    user, one_time_password = await users.create_user(
        session,
        username=body.username,
        role=body.role,
        display_name=body.display_name,
        language=body.language,
        actor=Actor.from_principal(principal),
        now=context.clock.now(),
        origin=origin,
    )
    await session.commit()
    return UserCreatedOut(user=UserOut.of(user), one_time_password=one_time_password)


@router.patch("/users/{username}", response_model=UserOut)
async def update_user(
    *,
    username: str,
    body: UserUpdateIn,
    principal: UserManager,
    context: Context,
    session: DbSession,
    origin: Origin,
) -> UserOut:
    user = await users.get_user(session, username=username)
    await users.update_user(
        session,
        user=user,
        role=body.role,
        display_name=body.display_name,
        disabled=body.disabled,
        actor=Actor.from_principal(principal),
        now=context.clock.now(),
        origin=origin,
    )
    await session.commit()
    return UserOut.of(user)


@router.post("/users/{username}/reset-password", response_model=PasswordResetOut)
async def reset_password(
    *,
    username: str,
    principal: UserManager,
    context: Context,
    session: DbSession,
    origin: Origin,
) -> PasswordResetOut:
    user = await users.get_user(session, username=username)
    one_time_password = await users.set_password(
        session,
        user=user,
        new_password=None,
        actor=Actor.from_principal(principal),
        now=context.clock.now(),
        origin=origin,
    )
    await session.commit()
    assert one_time_password is not None
    return PasswordResetOut(username=user.username, one_time_password=one_time_password)


@router.post("/users/{username}/totp-reset", response_model=UserOut)
async def reset_totp(
    *,
    username: str,
    principal: UserManager,
    context: Context,
    session: DbSession,
    origin: Origin,
) -> UserOut:
    user = await users.get_user(session, username=username)
    await users.reset_totp(
        session,
        user=user,
        actor=Actor.from_principal(principal),
        now=context.clock.now(),
        origin=origin,
    )
    await session.commit()
    return UserOut.of(user)
