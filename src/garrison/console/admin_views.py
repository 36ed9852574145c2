"""Administration pages: users (add, role, disable, reset password) and the audit log.

A one-time password is shown once, in the answer to the form that made it, and
never stored or shown again (the answer is marked ``no-store``).
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.audit.actor import Actor
from garrison.audit.service import list_audit
from garrison.audit.verify import verify_chain
from garrison.auth import users
from garrison.auth.permissions import Permission, Role
from garrison.auth.principal import Principal, RequestOrigin
from garrison.console.dependencies import AuditPage, UserManagerPage, UserPage
from garrison.console.form_posts import redirect_or_error_page, shown_once_or_error_page
from garrison.errors import ValidationFailed
from garrison.event import service as event_service
from garrison.i18n import gettext as _
from garrison.web.dependencies import Context, DbSession, Origin
from garrison.web.templating import render

router = APIRouter(include_in_schema=False)

AUDIT_PAGE = 100
Username = Annotated[str, Path(min_length=1, max_length=64)]
RoleField = Annotated[str, Form(max_length=32)]


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError as exc:
        raise ValidationFailed(_("role: unknown role %(value)s.") % {"value": value[:32]}) from exc


async def _users_page(
    request: Request,
    session: AsyncSession,
    *,
    principal: Principal,
    shown_once: tuple[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    values: dict[str, Any] = {
        "users": await users.list_users(session),
        "roles": [role.value for role in Role],
        "can_manage": principal.can(Permission.USER_MANAGE),
        "shown_once": shown_once,
        "error": error,
    }
    response = render(request, "console/admin_users.html", values, status_code=status_code)
    if shown_once is not None:
        response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/admin/users", response_class=HTMLResponse)
async def users_page(request: Request, principal: UserPage, session: DbSession) -> HTMLResponse:
    return await _users_page(request, session, principal=principal)


@router.post("/admin/users", response_class=HTMLResponse)
async def add_user(
    request: Request,
    principal: UserManagerPage,
    session: DbSession,
    context: Context,
    origin: Origin,
    username: Annotated[str, Form(max_length=64)],
    role: RoleField,
    display_name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    async def add() -> tuple[str, str]:
        user, one_time_password = await users.create_user(
            session,
            username=username.strip(),
            role=_role(role),
            display_name=display_name.strip() or None,
            actor=Actor.from_principal(principal),
            now=context.clock.now(),
            origin=origin,
        )
        return user.username, one_time_password

    page = partial(_users_page, request, session, principal=principal)
    return await shown_once_or_error_page(session, add, page=page)


async def _update(
    request: Request,
    session: AsyncSession,
    context: Context,
    origin: RequestOrigin,
    *,
    principal: Principal,
    username: str,
    role: str | None = None,
    disabled: bool | None = None,
) -> Response:
    """Change a user's role or access, then back to the users page."""
    user = await users.get_user(session, username=username)

    async def change() -> None:
        await users.update_user(
            session,
            user=user,
            role=None if role is None else _role(role),
            disabled=disabled,
            actor=Actor.from_principal(principal),
            now=context.clock.now(),
            origin=origin,
        )

    return await redirect_or_error_page(
        session, change, location="/admin/users",
        error_page=partial(_users_page, request, session, principal=principal),
    )  # fmt: skip


@router.post("/admin/users/{username}/role", response_class=HTMLResponse)
async def change_role(
    request: Request,
    username: Username,
    principal: UserManagerPage,
    session: DbSession,
    context: Context,
    origin: Origin,
    role: RoleField,
) -> Response:
    return await _update(
        request, session, context, origin, principal=principal, username=username, role=role
    )


@router.post("/admin/users/{username}/access", response_class=HTMLResponse)
async def set_access(
    request: Request,
    username: Username,
    principal: UserManagerPage,
    session: DbSession,
    context: Context,
    origin: Origin,
    disabled: Annotated[bool, Form()],
) -> Response:
    """Disable (ending the user's sessions) or enable an account."""
    return await _update(
        request, session, context, origin, principal=principal, username=username,
        disabled=disabled,
    )  # fmt: skip


@router.post("/admin/users/{username}/password", response_class=HTMLResponse)
async def reset_password(
    request: Request,
    username: Username,
    principal: UserManagerPage,
    session: DbSession,
    context: Context,
    origin: Origin,
) -> Response:
    """A new one-time password, shown once; the user's sessions end."""
    user = await users.get_user(session, username=username)
    one_time_password = await users.set_password(
        session, user=user, new_password=None, actor=Actor.from_principal(principal),
        now=context.clock.now(), origin=origin,
    )  # fmt: skip
    await session.commit()
    # set_password(None) always makes a one-time password.
    shown = (user.username, one_time_password or "")
    return await _users_page(request, session, principal=principal, shown_once=shown)


@router.get("/admin/audit", response_class=HTMLResponse)
async def audit_page(request: Request, _principal: AuditPage, session: DbSession) -> HTMLResponse:
    event = await event_service.find_event(session)
    values: dict[str, Any] = {
        "entries": await list_audit(session, limit=AUDIT_PAGE),
        "report": await verify_chain(session),
        "timezone": event.timezone if event else "UTC",
    }
    return render(request, "console/admin_audit.html", values)
