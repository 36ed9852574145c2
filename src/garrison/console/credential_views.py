"""Administration pages for credentials: API tokens and integration keys.

A token's secret and an integration's key are shown once, in the answer to the form
that made them (marked ``no-store``), and never again. Everyone manages their own
tokens; ``TOKEN_MANAGE_ALL`` sees and revokes everyone's. Someone else's token is
answered as missing, as the API does.
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import partial
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.audit.actor import Actor
from garrison.auth import tokens
from garrison.auth.dependencies import require_page
from garrison.auth.models import TOKEN_NAME_MAX_LENGTH
from garrison.auth.permissions import Permission
from garrison.auth.principal import Principal
from garrison.auth.users import get_user_by_id
from garrison.config.incidents import IntegrationKind
from garrison.console.form_posts import redirect_or_error_page, shown_once_or_error_page
from garrison.console.labels import incident_labels
from garrison.errors import NotFoundError, ValidationFailed
from garrison.i18n import gettext as _
from garrison.incidents import integrations
from garrison.incidents.vocabulary import Category, Severity
from garrison.web.dependencies import Context, DbSession, Origin
from garrison.web.templating import render

router = APIRouter(include_in_schema=False)

TokenPage = Annotated[Principal, Depends(require_page(Permission.TOKEN_MANAGE_OWN))]
IntegrationPage = Annotated[Principal, Depends(require_page(Permission.INTEGRATION_MANAGE))]
TokenId = Annotated[int, Path(ge=1, le=2**31 - 1)]
IntegrationId = Annotated[str, Path(min_length=1, max_length=64)]
IDENTIFIER = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
MAX_SCOPES = len(Permission)
_Word = TypeVar("_Word", bound=StrEnum)


def _scopes(values: list[str]) -> frozenset[Permission]:
    if not values:
        raise ValidationFailed(_("scopes: choose at least one permission."))
    if len(values) > MAX_SCOPES:
        raise ValidationFailed(_("scopes: too many values."))
    chosen: set[Permission] = set()
    for value in values:
        try:
            chosen.add(Permission(value))
        except ValueError as exc:
            raise ValidationFailed(
                _("scopes: unknown permission %(value)s.") % {"value": value[:64]}
            ) from exc
    return frozenset(chosen)


async def _tokens_page(
    request: Request,
    session: AsyncSession,
    *,
    principal: Principal,
    shown_once: tuple[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    sees_all = principal.can(Permission.TOKEN_MANAGE_ALL)
    values: dict[str, Any] = {
        "tokens": await tokens.list_tokens(
            session, owner_id=None if sees_all else principal.user_id
        ),
        "sees_all": sees_all,
        "scopes": sorted(scope.value for scope in principal.permissions),
        "default_days": tokens.DEFAULT_TOKEN_LIFETIME.days,
        "max_days": tokens.MAX_TOKEN_LIFETIME.days,
        "name_length": TOKEN_NAME_MAX_LENGTH,
        "shown_once": shown_once,
        "error": error,
    }
    response = render(request, "console/admin_tokens.html", values, status_code=status_code)
    if shown_once is not None:
        response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/tokens", response_class=HTMLResponse)
async def tokens_page(request: Request, principal: TokenPage, session: DbSession) -> HTMLResponse:
    return await _tokens_page(request, session, principal=principal)


@router.post("/tokens", response_class=HTMLResponse)
async def create_token(
    request: Request,
    principal: TokenPage,
    session: DbSession,
    context: Context,
    origin: Origin,
    name: Annotated[str, Form(max_length=TOKEN_NAME_MAX_LENGTH)],
    expires_in_days: Annotated[int, Form(ge=1, le=tokens.MAX_TOKEN_LIFETIME.days)],
    scopes: Annotated[list[str], Form(max_length=MAX_SCOPES)],
) -> Response:
    """A token for the signed-in user, with scopes within their own permissions."""

    async def create() -> tuple[str, str]:
        if not name.strip():
            raise ValidationFailed(_("name: a token needs a name."))
        now = context.clock.now()
        created = await tokens.create_token(
            session,
            owner=await get_user_by_id(session, user_id=principal.user_id),
            name=name.strip(),
            scopes=_scopes(scopes),
            granted=principal.permissions,
            expires_at=tokens.token_expiry(
                now=now, expires_in_days=expires_in_days, expires_at=None
            ),
            actor=Actor.from_principal(principal),
            now=now,
            origin=origin,
        )
        return created.record.name, created.secret

    page = partial(_tokens_page, request, session, principal=principal)
    return await shown_once_or_error_page(session, create, page=page)


@router.post("/tokens/{token_id}/revoke", response_class=HTMLResponse)
async def revoke_token(
    token_id: TokenId,
    principal: TokenPage,
    session: DbSession,
    context: Context,
    origin: Origin,
) -> Response:
    token = await tokens.get_token(session, token_id=token_id)
    if token.user_id != principal.user_id and not principal.can(Permission.TOKEN_MANAGE_ALL):
        raise NotFoundError(_("There is no such token."))
    await tokens.revoke_token(
        session, token=token, actor=Actor.from_principal(principal), now=context.clock.now(),
        origin=origin,
    )  # fmt: skip
    await session.commit()
    return RedirectResponse("/tokens", status_code=303)


async def _integrations_page(
    request: Request,
    session: AsyncSession,
    *,
    shown_once: tuple[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    values: dict[str, Any] = {
        "integrations": await integrations.list_integrations(session),
        "kinds": [kind.value for kind in IntegrationKind],
        "severities": [severity.value for severity in Severity],
        "categories": [category.value for category in Category],
        "managed_by_config": integrations.MANAGED_BY_CONFIG,
        "labels": incident_labels(),
        "shown_once": shown_once,
        "error": error,
    }
    response = render(request, "console/admin_integrations.html", values, status_code=status_code)
    if shown_once is not None:
        response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/admin/integrations", response_class=HTMLResponse)
async def integrations_page(
    request: Request, _principal: IntegrationPage, session: DbSession
) -> HTMLResponse:
    return await _integrations_page(request, session)


def parsed(make: type[_Word], value: str, field: str) -> _Word:
    try:
        return make(value)
    except ValueError as exc:
        raise ValidationFailed(
            _("%(field)s: unknown value %(value)s.") % {"field": field, "value": value[:32]}
        ) from exc


def _settings(
    *, name: str, kind: str, severity: str, category: str, rate: int
) -> integrations.IntegrationSettings:
    if not name.strip():
        raise ValidationFailed(_("name: an integration needs a name."))
    return integrations.IntegrationSettings(
        name=name.strip(),
        kind=parsed(IntegrationKind, kind, "kind"),
        default_severity=parsed(Severity, severity, "default_severity"),
        default_category=parsed(Category, category, "default_category"),
        rate_limit_per_minute=rate,
    )


@router.post("/admin/integrations", response_class=HTMLResponse)
async def create_integration(
    request: Request,
    principal: IntegrationPage,
    session: DbSession,
    context: Context,
    origin: Origin,
    integration_id: Annotated[str, Form(alias="id", max_length=64)],
    name: Annotated[str, Form(max_length=200)],
    kind: Annotated[str, Form(max_length=32)],
    default_severity: Annotated[str, Form(max_length=8)] = Severity.SEV3.value,
    default_category: Annotated[str, Form(max_length=32)] = Category.AVAILABILITY.value,
    rate_limit_per_minute: Annotated[int, Form(ge=1, le=100_000)] = 120,
) -> Response:
    """A new integration; its key is in this answer only."""

    async def create() -> tuple[str, str]:
        if IDENTIFIER.fullmatch(integration_id) is None:
            raise ValidationFailed(
                _("id: use lower-case letters, digits, '.', '_' or '-' (at most 64).")
            )
        created = await integrations.create_integration(
            session,
            integration_id=integration_id,
            settings=_settings(
                name=name,
                kind=kind,
                severity=default_severity,
                category=default_category,
                rate=rate_limit_per_minute,
            ),
            actor=Actor.from_principal(principal),
            now=context.clock.now(),
            origin=origin,
        )
        return created.record.id, created.key

    page = partial(_integrations_page, request, session)
    return await shown_once_or_error_page(session, create, page=page)


@router.post("/admin/integrations/{integration_id}/rotate", response_class=HTMLResponse)
async def rotate_integration_key(
    request: Request,
    integration_id: IntegrationId,
    principal: IntegrationPage,
    session: DbSession,
    context: Context,
    origin: Origin,
) -> Response:
    """A new key, shown once; the old one stops working at once."""
    record = await integrations.get_integration(session, integration_id=integration_id)

    async def rotate() -> tuple[str, str]:
        key = await integrations.rotate_integration_key(
            session, record=record, actor=Actor.from_principal(principal),
            now=context.clock.now(), origin=origin,
        )  # fmt: skip
        return integration_id, key

    page = partial(_integrations_page, request, session)
    return await shown_once_or_error_page(session, rotate, page=page)


@router.post("/admin/integrations/{integration_id}/disable", response_class=HTMLResponse)
async def disable_integration(
    request: Request,
    integration_id: IntegrationId,
    principal: IntegrationPage,
    session: DbSession,
    context: Context,
    origin: Origin,
) -> Response:
    record = await integrations.get_integration(session, integration_id=integration_id)

    async def disable() -> None:
        await integrations.disable_integration(
            session, record=record, actor=Actor.from_principal(principal),
            now=context.clock.now(), origin=origin,
        )  # fmt: skip

    return await redirect_or_error_page(
        session, disable, location="/admin/integrations",
        error_page=partial(_integrations_page, request, session),
    )  # fmt: skip
