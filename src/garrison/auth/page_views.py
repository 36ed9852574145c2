"""Server-rendered pages: login, logout, language switch, and the account pages."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from garrison.audit.actor import Actor
from garrison.auth import account, login
from garrison.auth.cookies import clear_session_cookie, set_login_csrf_cookie, set_session_cookie
from garrison.auth.csrf import LOGIN_CSRF_COOKIE, check_login_csrf, new_csrf_token
from garrison.auth.dependencies import (
    ACCOUNT_PAGES,
    OptionalPrincipal,
    PasswordPagePrincipal,
    TotpPagePrincipal,
    request_auth,
)
from garrison.auth.passwords import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH
from garrison.auth.totp import provisioning_uri
from garrison.auth.users import get_user_by_id
from garrison.errors import GarrisonError, PermissionDenied, RateLimited, ValidationFailed
from garrison.i18n import SUPPORTED_LANGUAGES
from garrison.i18n import gettext as _
from garrison.web.dependencies import Context, DbSession, Origin
from garrison.web.language import LANGUAGE_COOKIE
from garrison.web.templating import render

page_router = APIRouter(include_in_schema=False)

LANGUAGE_COOKIE_MAX_AGE_SECONDS = 365 * 24 * 3600
FormText = Annotated[str, Form(max_length=PASSWORD_MAX_LENGTH)]
ShortFormText = Annotated[str, Form(max_length=200)]


def local_path(target: str | None) -> str:
    """``target`` if it is a path on this site, else ``/``: never an open redirect."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    if any(ch in target for ch in "\\\r\n\t") or any(ord(ch) < 32 for ch in target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return target


def _redirect(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=303)


def _login_form(
    request: Request,
    context: Context,
    *,
    next_path: str,
    error: str | None = None,
    status_code: int = 200,
    username: str = "",
) -> HTMLResponse:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or new_csrf_token()
    request.state.csrf_token = token
    response = render(
        request,
        "login.html",
        {"next": next_path, "error": error, "username": username},
        status_code=status_code,
    )
    set_login_csrf_cookie(response, request=request, settings=context.settings, value=token)
    return response


@page_router.get("/login", response_class=HTMLResponse)
async def login_page(
    *, request: Request, context: Context, principal: OptionalPrincipal, next: str = "/"
) -> Response:
    if principal is not None:
        restriction = request_auth(request).restriction
        return _redirect(ACCOUNT_PAGES[restriction] if restriction else local_path(next))
    return _login_form(request, context, next_path=local_path(next))


@page_router.post("/login", response_class=HTMLResponse)
async def login_submit(
    *,
    request: Request,
    context: Context,
    session: DbSession,
    origin: Origin,
    username: Annotated[str, Form(max_length=200)] = "",
    password: FormText = "",
    totp_code: Annotated[str, Form(max_length=16)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    next_path = local_path(next)
    try:
        await check_login_csrf(request)
    except PermissionDenied as exc:
        return _login_form(
            request,
            context,
            next_path=next_path,
            error=str(exc),
            status_code=403,
            username=username,
        )
    now = context.clock.now()
    result = await login.attempt_login(
        session,
        username=username,
        password=password,
        totp_code=totp_code or None,
        settings=context.settings,
        now=now,
        origin=origin,
    )
    await session.commit()
    if result.error is not None:
        return _login_failed(request, context, result.error, next_path=next_path, username=username)
    assert result.started is not None
    location = ACCOUNT_PAGES[result.restriction] if result.restriction else next_path
    response = _redirect(location)
    set_session_cookie(
        response,
        request=request,
        settings=context.settings,
        value=result.started.cookie_value,
        expires_at=result.started.record.expires_at,
        now=now,
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


def _login_failed(
    request: Request, context: Context, error: GarrisonError, *, next_path: str, username: str
) -> Response:
    response = _login_form(
        request,
        context,
        next_path=next_path,
        error=str(error),
        status_code=error.http_status,
        username=username,
    )
    if isinstance(error, RateLimited):
        response.headers["Retry-After"] = str(error.retry_after_seconds)
    return response


@page_router.post("/logout")
async def logout_submit(
    *,
    request: Request,
    context: Context,
    session: DbSession,
    origin: Origin,
    principal: OptionalPrincipal,
) -> Response:
    if principal is not None and principal.session_id is not None:
        await login.log_out(
            session,
            session_id=principal.session_id,
            actor=Actor.from_principal(principal),
            now=context.clock.now(),
            origin=origin,
        )
        await session.commit()
    response = _redirect("/login")
    clear_session_cookie(response, request=request, settings=context.settings)
    return response


@page_router.post("/language")
async def switch_language(
    *,
    request: Request,
    context: Context,
    session: DbSession,
    origin: Origin,
    principal: OptionalPrincipal,
    language: Annotated[str, Form(max_length=8)],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    if language not in SUPPORTED_LANGUAGES:
        raise ValidationFailed(_("Unsupported language."))
    if principal is None:
        await check_login_csrf(request)
    elif request_auth(request).restriction is None:
        user = await get_user_by_id(session, user_id=principal.user_id)
        await account.update_profile(
            session, user=user, now=context.clock.now(), language=language, origin=origin
        )
        await session.commit()
    response = _redirect(local_path(next))
    response.set_cookie(
        LANGUAGE_COOKIE,
        language,
        max_age=LANGUAGE_COOKIE_MAX_AGE_SECONDS,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https" or context.settings.secure_cookies == "always",
    )
    return response


@page_router.get("/account/password", response_class=HTMLResponse)
async def password_page(*, request: Request, _principal: PasswordPagePrincipal) -> Response:
    return render(request, "password_change.html", _password_context(request))


def _password_context(request: Request, error: str | None = None) -> dict[str, object]:
    return {
        "error": error,
        "min_length": PASSWORD_MIN_LENGTH,
        "required": request_auth(request).restriction is not None,
    }


@page_router.post("/account/password", response_class=HTMLResponse)
async def password_submit(
    *,
    request: Request,
    principal: PasswordPagePrincipal,
    context: Context,
    session: DbSession,
    origin: Origin,
    current_password: FormText,
    new_password: FormText,
    confirm_password: FormText,
) -> Response:
    error: str | None = None
    if new_password != confirm_password:
        error = _("The two new passwords differ.")
    else:
        user = await get_user_by_id(session, user_id=principal.user_id)
        try:
            changed = await account.change_own_password(
                session,
                user=user,
                current_password=current_password,
                new_password=new_password,
                keep_session_id=principal.session_id,
                settings=context.settings,
                now=context.clock.now(),
                origin=origin,
            )
        except (ValidationFailed, RateLimited) as exc:
            error = str(exc)
        else:
            await session.commit()
            if changed:
                return _redirect("/")
            error = _("The current password is wrong.")
    return render(request, "password_change.html", _password_context(request, error), 422)


@page_router.get("/account/totp", response_class=HTMLResponse)
async def totp_page(
    *, request: Request, principal: TotpPagePrincipal, session: DbSession
) -> Response:
    return await _totp_form(request, session, user_id=principal.user_id)


async def _totp_form(
    request: Request, session: DbSession, *, user_id: int, error: str | None = None
) -> HTMLResponse:
    user = await get_user_by_id(session, user_id=user_id)
    pending = user.totp_secret if not user.totp_enabled else None
    return render(
        request,
        "totp_setup.html",
        {
            "enabled": user.totp_enabled,
            "secret": pending,
            "otpauth_uri": provisioning_uri(secret=pending, username=user.username)
            if pending
            else None,
            "required": request_auth(request).restriction is not None,
            "error": error,
        },
        status_code=422 if error else 200,
    )


@page_router.post("/account/totp/setup")
async def totp_setup_submit(
    *, principal: TotpPagePrincipal, context: Context, session: DbSession, origin: Origin
) -> Response:
    user = await get_user_by_id(session, user_id=principal.user_id)
    await account.start_totp_setup(session, user=user, now=context.clock.now(), origin=origin)
    await session.commit()
    return _redirect("/account/totp")


@page_router.post("/account/totp/confirm", response_class=HTMLResponse)
async def totp_confirm_submit(
    *,
    request: Request,
    principal: TotpPagePrincipal,
    context: Context,
    session: DbSession,
    origin: Origin,
    code: Annotated[str, Form(max_length=16)],
) -> Response:
    user = await get_user_by_id(session, user_id=principal.user_id)
    try:
        await account.confirm_totp(
            session, user=user, code=code, now=context.clock.now(), origin=origin
        )
    except GarrisonError as exc:
        return await _totp_form(request, session, user_id=principal.user_id, error=str(exc))
    await session.commit()
    return _redirect("/")
