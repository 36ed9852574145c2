"""The authentication API: log in and out, the caller's own account, and its authenticator.

``api_router`` (mounted under ``/api/v1``) also carries the token and user routes;
``page_router`` carries the HTML pages.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from garrison.audit.actor import Actor
from garrison.auth import account, login
from garrison.auth.cookies import clear_session_cookie, set_session_cookie
from garrison.auth.dependencies import (
    CurrentPrincipal,
    EnrollingPrincipal,
    SignedInPrincipal,
    reauthenticate,
    request_auth,
)
from garrison.auth.page_views import page_router
from garrison.auth.principal import Principal
from garrison.auth.schemas import (
    LoginIn,
    LoginOut,
    MeOut,
    PasswordChangeIn,
    ProfileIn,
    TotpConfirmIn,
    TotpSetupOut,
    UserOut,
)
from garrison.auth.token_views import router as token_router
from garrison.auth.totp import provisioning_uri
from garrison.auth.user_views import router as user_router
from garrison.auth.users import get_user_by_id
from garrison.errors import ValidationFailed
from garrison.i18n import gettext as _
from garrison.web.dependencies import Context, DbSession, Origin

__all__ = ["api_router", "page_router"]

api_router = APIRouter(tags=["auth"])


@api_router.post("/auth/login", response_model=LoginOut)
async def log_in(
    *,
    body: LoginIn,
    request: Request,
    response: Response,
    context: Context,
    session: DbSession,
    origin: Origin,
) -> LoginOut:
    now = context.clock.now()
    result = await login.attempt_login(
        session,
        username=body.username,
        password=body.password,
        totp_code=body.totp_code,
        settings=context.settings,
        now=now,
        origin=origin,
    )
    await session.commit()
    if result.error is not None:
        raise result.error
    assert result.user is not None
    assert result.started is not None
    set_session_cookie(
        response,
        request=request,
        settings=context.settings,
        value=result.started.cookie_value,
        expires_at=result.started.record.expires_at,
        now=now,
    )
    return LoginOut(
        user=UserOut.of(result.user),
        csrf_token=result.started.record.csrf_token,
        expires_at=result.started.record.expires_at,
        restriction=result.restriction,
    )


@api_router.post("/auth/logout", status_code=204)
async def log_out(
    *,
    principal: SignedInPrincipal,
    request: Request,
    context: Context,
    session: DbSession,
    origin: Origin,
) -> Response:
    if principal.session_id is not None:
        await login.log_out(
            session,
            session_id=principal.session_id,
            actor=Actor.from_principal(principal),
            now=context.clock.now(),
            origin=origin,
        )
        await session.commit()
    response = Response(status_code=204)
    clear_session_cookie(response, request=request, settings=context.settings)
    return response


async def _me(principal: Principal, request: Request, session: DbSession) -> MeOut:
    user = await get_user_by_id(session, user_id=principal.user_id)
    return MeOut(
        user=UserOut.of(user),
        permissions=sorted(principal.permissions),
        via=principal.via,
        restriction=request_auth(request).restriction,
    )


@api_router.get("/me", response_model=MeOut)
async def read_me(*, principal: SignedInPrincipal, request: Request, session: DbSession) -> MeOut:
    return await _me(principal, request, session)


@api_router.patch("/me", response_model=MeOut)
async def update_me(
    *,
    body: ProfileIn,
    principal: CurrentPrincipal,
    request: Request,
    context: Context,
    session: DbSession,
    origin: Origin,
) -> MeOut:
    user = await get_user_by_id(session, user_id=principal.user_id)
    await account.update_profile(
        session,
        user=user,
        now=context.clock.now(),
        language=body.language,
        display_name=body.display_name,
        origin=origin,
    )
    await session.commit()
    return await _me(principal, request, session)


@api_router.post("/me/password", response_model=MeOut)
async def change_my_password(
    *,
    body: PasswordChangeIn,
    principal: SignedInPrincipal,
    request: Request,
    context: Context,
    session: DbSession,
    origin: Origin,
) -> MeOut:
    user = await get_user_by_id(session, user_id=principal.user_id)
    changed = await account.change_own_password(
        session,
        user=user,
        current_password=body.current_password,
        new_password=body.new_password,
        keep_session_id=principal.session_id,
        settings=context.settings,
        now=context.clock.now(),
        origin=origin,
    )
    await session.commit()
    if not changed:
        raise ValidationFailed(_("The current password is wrong."))
    # The caller's restriction may just have been lifted: authenticate afresh.
    return await _me(await reauthenticate(request, context, session), request, session)


@api_router.post("/me/totp/setup", response_model=TotpSetupOut)
async def set_up_totp(
    *, principal: EnrollingPrincipal, context: Context, session: DbSession, origin: Origin
) -> TotpSetupOut:
    user = await get_user_by_id(session, user_id=principal.user_id)
    secret = await account.start_totp_setup(
        session, user=user, now=context.clock.now(), origin=origin
    )
    await session.commit()
    return TotpSetupOut(
        secret=secret, otpauth_uri=provisioning_uri(secret=secret, username=user.username)
    )


@api_router.post("/me/totp/confirm", response_model=MeOut)
async def confirm_totp(
    *,
    body: TotpConfirmIn,
    principal: EnrollingPrincipal,
    request: Request,
    context: Context,
    session: DbSession,
    origin: Origin,
) -> MeOut:
    user = await get_user_by_id(session, user_id=principal.user_id)
    await account.confirm_totp(
        session, user=user, code=body.code, now=context.clock.now(), origin=origin
    )
    await session.commit()
    return await _me(await reauthenticate(request, context, session), request, session)


api_router.include_router(token_router)
api_router.include_router(user_router)
