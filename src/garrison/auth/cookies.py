"""The session and login-form cookies: HttpOnly, SameSite=Lax, Secure under TLS."""

from __future__ import annotations

from datetime import datetime

from fastapi import Request, Response

from garrison.auth.csrf import LOGIN_CSRF_COOKIE
from garrison.auth.sessions import SESSION_COOKIE
from garrison.settings import Settings

LOGIN_CSRF_MAX_AGE_SECONDS = 2 * 3600


def cookies_secure(request: Request, settings: Settings) -> bool:
    if settings.secure_cookies == "always":
        return True
    if settings.secure_cookies == "never":
        return False
    return request.url.scheme == "https"


def set_session_cookie(
    response: Response,
    *,
    request: Request,
    settings: Settings,
    value: str,
    expires_at: datetime,
    now: datetime,
) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        value,
        max_age=max(1, int((expires_at - now).total_seconds())),
        path="/",
        secure=cookies_secure(request, settings),
        httponly=True,
        samesite="lax",
    )


def clear_session_cookie(response: Response, *, request: Request, settings: Settings) -> None:
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        secure=cookies_secure(request, settings),
        httponly=True,
        samesite="lax",
    )


def set_login_csrf_cookie(
    response: Response, *, request: Request, settings: Settings, value: str
) -> None:
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        value,
        max_age=LOGIN_CSRF_MAX_AGE_SECONDS,
        path="/",
        secure=cookies_secure(request, settings),
        httponly=True,
        samesite="lax",
    )
