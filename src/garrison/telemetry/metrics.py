"""Prometheus metrics: the registry lives in the AppContext, exposed on /metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from garrison.auth.dependencies import resolve_principal
from garrison.auth.permissions import Permission
from garrison.errors import AuthenticationError, PermissionDenied
from garrison.i18n import gettext as _
from garrison.web.dependencies import Context, DbSession

router = APIRouter(tags=["metrics"], include_in_schema=False)


@router.get("/metrics", response_class=Response)
async def metrics(request: Request, context: Context, session: DbSession) -> Response:
    if not context.settings.metrics_public:
        principal = await resolve_principal(request, context, session)
        if principal is None:
            raise AuthenticationError(_("Authentication is required."))
        if not principal.can(Permission.METRICS_READ):
            raise PermissionDenied(_("You are not allowed to read the metrics."))
    return Response(generate_latest(context.registry), media_type=CONTENT_TYPE_LATEST)
