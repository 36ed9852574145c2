"""Who is calling, and may they: FastAPI dependencies every domain's views use.

- ``resolve_principal``: the caller from a bearer token or the session cookie, or None.
- ``CurrentPrincipal``: a signed-in caller with full access (401/403 otherwise).
- ``require(permission)``: a signed-in caller holding ``permission``.
- ``PagePrincipal`` / ``require_page(permission)``: the same for HTML pages, sending an
  anonymous browser to the login page instead of answering 401.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.auth.access import AccessRestriction, build_principal, restriction_for
from garrison.auth.csrf import check_session_csrf, is_unsafe
from garrison.auth.permissions import Permission
from garrison.auth.principal import Principal
from garrison.auth.sessions import SESSION_COOKIE, find_active_session
from garrison.auth.tokens import find_active_token
from garrison.errors import AuthenticationError, PermissionDenied
from garrison.i18n import gettext as _
from garrison.runtime.context import AppContext
from garrison.web.dependencies import Context, DbSession

ALL_RESTRICTIONS = frozenset(AccessRestriction)
ACCOUNT_PAGES = {
    AccessRestriction.MUST_CHANGE_PASSWORD: "/account/password",
    AccessRestriction.TOTP_ENROLLMENT_REQUIRED: "/account/totp",
}


@dataclass(frozen=True, slots=True)
class RequestAuth:
    """What authentication found for a request, kept on ``request.state.auth``."""

    principal: Principal | None
    restriction: AccessRestriction | None = None
    csrf_token: str | None = None


async def resolve_principal(
    request: Request, context: Context, session: DbSession
) -> Principal | None:
    """The caller, from ``Authorization: Bearer gar_...`` or the session cookie.

    None when the request carries neither; AuthenticationError when the credential
    is unknown, expired, revoked or its user disabled; PermissionDenied when a
    cookie-authenticated unsafe request lacks the session's CSRF token.
    """
    cached = getattr(request.state, "auth", None)
    if isinstance(cached, RequestAuth):
        return cached.principal
    auth = await _authenticate(request, context, session)
    request.state.auth = auth
    request.state.principal = auth.principal
    if auth.csrf_token is not None:
        request.state.csrf_token = auth.csrf_token
    return auth.principal


async def _authenticate(
    request: Request, context: AppContext, session: AsyncSession
) -> RequestAuth:
    now = context.clock.now()
    required_roles = context.settings.totp_required_roles
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _sep, secret = header.strip().partition(" ")
        if scheme.lower() != "bearer":
            raise AuthenticationError(_("Only bearer tokens are accepted."))
        found_token = await find_active_token(session, secret=secret.strip(), now=now)
        if found_token is None:
            raise AuthenticationError(_("The API token is not valid, expired or revoked."))
        token, owner = found_token
        # Commit the last-used time now: read-only views never commit.
        await session.commit()
        restriction = restriction_for(owner, totp_required_roles=required_roles)
        principal = build_principal(
            owner,
            via="token",
            restricted=restriction is not None,
            token_id=token.id,
            scopes=token.scope_set,
        )
        return RequestAuth(principal=principal, restriction=restriction)
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return RequestAuth(principal=None)
    found_session = await find_active_session(session, cookie_value=cookie, now=now)
    if found_session is None:
        raise AuthenticationError(_("Your session has ended. Please log in again."))
    record, user = found_session
    if is_unsafe(request):
        await check_session_csrf(request, expected=record.csrf_token)
    restriction = restriction_for(user, totp_required_roles=required_roles)
    principal = build_principal(
        user, via="session", restricted=restriction is not None, session_id=record.id
    )
    return RequestAuth(principal=principal, restriction=restriction, csrf_token=record.csrf_token)


async def reauthenticate(request: Request, context: AppContext, session: AsyncSession) -> Principal:
    """Authenticate again after the caller changed their own account (a lifted restriction)."""
    request.state.auth = None
    principal = await resolve_principal(request, context, session)
    if principal is None:
        raise AuthenticationError(_("Authentication is required."))
    return principal


def request_auth(request: Request) -> RequestAuth:
    auth = getattr(request.state, "auth", None)
    return auth if isinstance(auth, RequestAuth) else RequestAuth(principal=None)


class PrincipalRequirement:
    """A signed-in caller; ``allow`` names the restrictions this route tolerates."""

    def __init__(self, *, allow: frozenset[AccessRestriction] = frozenset()) -> None:
        self.allow = allow

    async def __call__(self, request: Request, context: Context, session: DbSession) -> Principal:
        principal = await resolve_principal(request, context, session)
        if principal is None:
            raise AuthenticationError(_("Authentication is required."))
        restriction = request_auth(request).restriction
        if restriction is not None and restriction not in self.allow:
            raise PermissionDenied(restriction.explain())
        return principal


class PermissionRequirement(PrincipalRequirement):
    """A signed-in, unrestricted caller holding ``permission``; tests find routes' needs by it."""

    def __init__(self, permission: Permission) -> None:
        super().__init__()
        self.permission = permission

    async def __call__(self, request: Request, context: Context, session: DbSession) -> Principal:
        principal = await super().__call__(request, context, session)
        if not principal.can(self.permission):
            raise PermissionDenied(
                _("You do not have the permission this needs (%(permission)s).")
                % {"permission": self.permission.value}
            )
        return principal


class PagePermissionRequirement(PermissionRequirement):
    """For HTML pages: an anonymous or restricted browser is redirected, not refused."""

    async def __call__(self, request: Request, context: Context, session: DbSession) -> Principal:
        await _page_principal(request, context, session, allow=frozenset())
        return await super().__call__(request, context, session)


class LoginRedirect(HTTPException):
    """A 303 to the login page (or the account page a restricted user must finish first).

    An HTTPException, so FastAPI's own handler answers it: no handler to install.
    """

    def __init__(self, location: str) -> None:
        super().__init__(status_code=303, detail="See Other", headers={"Location": location})


def login_location(request: Request) -> str:
    target = request.url.path
    if request.url.query:
        target = f"{target}?{request.url.query}"
    return f"/login?next={quote(target, safe='/')}"


async def _page_principal(
    request: Request,
    context: AppContext,
    session: AsyncSession,
    *,
    allow: frozenset[AccessRestriction],
) -> Principal:
    try:
        principal = await resolve_principal(request, context, session)
    except AuthenticationError:
        principal = None
    navigating = is_navigation(request)
    if principal is None:
        if not navigating:
            raise AuthenticationError(_("Your session has ended: log in again."))
        raise LoginRedirect(login_location(request))
    restriction = request_auth(request).restriction
    if restriction is not None and restriction not in allow:
        if not navigating:
            raise PermissionDenied(restriction.explain())
        raise LoginRedirect(ACCOUNT_PAGES[restriction])
    return principal


def is_navigation(request: Request) -> bool:
    """Whether the browser is loading a page (not a script's fetch or an event stream).

    Only a navigation is sent to the login page: a script following that redirect would
    load the login form in the background, and its fresh login token (a cookie) would
    spoil the form the person is filling in another tab. Browsers say which it is in
    ``Sec-Fetch-Mode``; a client that does not is treated as navigating, as before.
    """
    return request.headers.get("sec-fetch-mode", "navigate") == "navigate"


class PagePrincipalRequirement:
    """A signed-in browser for an HTML page; others are redirected to log in."""

    def __init__(self, *, allow: frozenset[AccessRestriction] = frozenset()) -> None:
        self.allow = allow

    async def __call__(self, request: Request, context: Context, session: DbSession) -> Principal:
        return await _page_principal(request, context, session, allow=self.allow)


_REQUIREMENTS: dict[Permission, PermissionRequirement] = {}
_PAGE_REQUIREMENTS: dict[Permission, PagePermissionRequirement] = {}


def require(permission: Permission) -> PermissionRequirement:
    """The dependency for an API route needing ``permission`` (one instance per permission)."""
    if permission not in _REQUIREMENTS:
        _REQUIREMENTS[permission] = PermissionRequirement(permission)
    return _REQUIREMENTS[permission]


def require_page(permission: Permission) -> PagePermissionRequirement:
    """The dependency for an HTML page needing ``permission``."""
    if permission not in _PAGE_REQUIREMENTS:
        _PAGE_REQUIREMENTS[permission] = PagePermissionRequirement(permission)
    return _PAGE_REQUIREMENTS[permission]


async def optional_principal(
    request: Request, context: Context, session: DbSession
) -> Principal | None:
    """The caller if validly signed in, else None (a stale cookie is no error here)."""
    try:
        return await resolve_principal(request, context, session)
    except AuthenticationError:
        return None


current_principal = PrincipalRequirement()
signed_in_principal = PrincipalRequirement(allow=ALL_RESTRICTIONS)
enrolling_principal = PrincipalRequirement(
    allow=frozenset({AccessRestriction.TOTP_ENROLLMENT_REQUIRED})
)

CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
# Signed in, even if the account must first change its password or enrol TOTP.
SignedInPrincipal = Annotated[Principal, Depends(signed_in_principal)]
# Signed in, and allowed to be in the middle of mandatory TOTP enrolment.
EnrollingPrincipal = Annotated[Principal, Depends(enrolling_principal)]
PagePrincipal = Annotated[Principal, Depends(PagePrincipalRequirement())]
# For the account pages a restricted user is sent to (password change, TOTP setup).
PasswordPagePrincipal = Annotated[
    Principal, Depends(PagePrincipalRequirement(allow=ALL_RESTRICTIONS))
]
TotpPagePrincipal = Annotated[
    Principal,
    Depends(
        PagePrincipalRequirement(allow=frozenset({AccessRestriction.TOTP_ENROLLMENT_REQUIRED}))
    ),
]
OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]
