"""API tokens over HTTP: create (shown once), list, revoke."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from garrison.audit.actor import Actor
from garrison.auth import tokens
from garrison.auth.dependencies import require
from garrison.auth.permissions import Permission
from garrison.auth.principal import Principal
from garrison.auth.schemas import TokenCreatedOut, TokenCreateIn, TokenOut
from garrison.auth.users import get_user_by_id
from garrison.errors import NotFoundError, PermissionDenied
from garrison.i18n import gettext as _
from garrison.web.dependencies import Context, DbSession, Origin

router = APIRouter(tags=["tokens"])

TokenOwner = Annotated[Principal, Depends(require(Permission.TOKEN_MANAGE_OWN))]


@router.post("/tokens", response_model=TokenCreatedOut, status_code=201)
async def create_token(
    *,
    body: TokenCreateIn,
    principal: TokenOwner,
    context: Context,
    session: DbSession,
    origin: Origin,
) -> TokenCreatedOut:
    now = context.clock.now()
    expires_at = tokens.token_expiry(
        now=now, expires_in_days=body.expires_in_days, expires_at=body.expires_at
    )
    owner = await get_user_by_id(session, user_id=principal.user_id)
    created = await tokens.create_token(
        session,
        owner=owner,
        name=body.name,
        scopes=frozenset(body.scopes),
        granted=principal.permissions,
        expires_at=expires_at,
        actor=Actor.from_principal(principal),
        now=now,
        origin=origin,
    )
    await session.commit()
    shown = TokenOut.of(created.record, owner=owner.username)
    return TokenCreatedOut(**shown.model_dump(), token=created.secret)


@router.get("/tokens", response_model=list[TokenOut])
async def list_tokens(
    *,
    principal: TokenOwner,
    session: DbSession,
    every_user: Annotated[bool, Query(alias="all")] = False,
) -> list[TokenOut]:
    if every_user and not principal.can(Permission.TOKEN_MANAGE_ALL):
        raise PermissionDenied(_("You may list only your own tokens."))
    rows = await tokens.list_tokens(session, owner_id=None if every_user else principal.user_id)
    return [TokenOut.of(token, owner=owner) for token, owner in rows]


@router.delete("/tokens/{token_id}", status_code=204)
async def revoke_token(
    *,
    token_id: int,
    principal: TokenOwner,
    context: Context,
    session: DbSession,
    origin: Origin,
) -> Response:
    token = await tokens.get_token(session, token_id=token_id)
    if token.user_id != principal.user_id and not principal.can(Permission.TOKEN_MANAGE_ALL):
        # Someone else's token: answer as if it did not exist.
        raise NotFoundError(_("There is no such token."))
    await tokens.revoke_token(
        session,
        token=token,
        actor=Actor.from_principal(principal),
        now=context.clock.now(),
        origin=origin,
    )
    await session.commit()
    return Response(status_code=204)
