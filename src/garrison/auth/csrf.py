"""Cross-site request forgery protection.

A signed-in browser sends its session's token with every unsafe request (header
``X-CSRF-Token`` or form field ``csrf_token``). Before a session exists, the
login form uses a double-submit cookie: the form field must equal the cookie.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request

from garrison.errors import PermissionDenied
from garrison.i18n import gettext as _

CSRF_HEADER = "x-csrf-token"
CSRF_FORM_FIELD = "csrf_token"
LOGIN_CSRF_COOKIE = "garrison_login_csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_MAX_TOKEN_LENGTH = 200


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def tokens_match(expected: str | None, given: str | None) -> bool:
    if not expected or not given or len(given) > _MAX_TOKEN_LENGTH:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


def is_unsafe(request: Request) -> bool:
    return request.method.upper() not in SAFE_METHODS


async def submitted_token(request: Request) -> str | None:
    """The token from the header, else from the form body (already parsed and cached)."""
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith(FORM_CONTENT_TYPES):
        return None
    form = await request.form()
    value = form.get(CSRF_FORM_FIELD)
    return value if isinstance(value, str) else None


async def check_session_csrf(request: Request, *, expected: str) -> None:
    if not tokens_match(expected, await submitted_token(request)):
        raise PermissionDenied(
            _("The request lacks a valid CSRF token. Reload the page and try again.")
        )


async def check_login_csrf(request: Request) -> None:
    """Double-submit check for forms posted before a session exists."""
    if not tokens_match(request.cookies.get(LOGIN_CSRF_COOKIE), await submitted_token(request)):
        raise PermissionDenied(_("The form has expired. Reload the page and try again."))
