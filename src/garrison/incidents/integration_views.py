"""Integrations over HTTP: managing them, and the Alertmanager and generic webhooks.

The webhooks authenticate by integration key (``Authorization: Bearer <key>``), not by
user. The payload is read and checked first (400 naming the field), then the key
(401, and an audit entry) by the intake, in the transaction that ingests the signals.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from garrison.audit.actor import Actor
from garrison.auth.principal import RequestOrigin
from garrison.config.incidents import IntegrationKind
from garrison.errors import AuthenticationError
from garrison.i18n import gettext as _
from garrison.incidents import integrations
from garrison.incidents.alertmanager import AlertmanagerWebhook, signals_from_alertmanager
from garrison.incidents.dependencies import IntegrationManager
from garrison.incidents.intake import Build, RejectedKey, intake_for
from garrison.incidents.integration_schemas import (
    IntegrationCreateIn,
    IntegrationKeyOut,
    IntegrationOut,
    SignalResultOut,
    SignalsAcceptedOut,
)
from garrison.incidents.payloads import parse_payload, request_body_openapi
from garrison.incidents.signal_records import SignalResult
from garrison.incidents.webhook import WebhookSignal, signal_from_webhook
from garrison.runtime.context import AppContext
from garrison.web.dependencies import Context, DbSession, Origin

router = APIRouter(tags=["integrations"])

KEY_RESPONSES: dict[int | str, dict[str, object]] = {
    400: {"description": "The payload is not valid; the detail names each field."},
    401: {"description": "The integration key is missing, unknown or disabled."},
    413: {"description": "The request body is larger than the request limit."},
}


def bearer_key(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _sep, value = header.strip().partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


async def ingest_or_refuse(
    context: AppContext,
    *,
    key: str | None,
    kind: IntegrationKind,
    endpoint: str,
    origin: RequestOrigin,
    build: Build,
    count: int,
) -> list[SignalResult]:
    """The signals' results, committed; 401 after an audit entry when the key is refused.

    The key is checked by the intake, in the transaction that writes the signals.
    """
    try:
        return await intake_for(context).ingest(key=key, kind=kind, build=build, count=count)
    except RejectedKey:
        await integrations.note_rejected_key(
            context.sessions, endpoint=endpoint, key=key, now=context.clock.now(), origin=origin
        )
        raise AuthenticationError(
            _("The integration key is missing, unknown or disabled.")
        ) from None


def _accepted(results: list[SignalResult]) -> SignalsAcceptedOut:
    return SignalsAcceptedOut(
        accepted=len(results),
        results=[
            SignalResultOut(
                signal_id=result.signal_id,
                dedup_key=result.dedup_key,
                outcome=result.outcome.value,
                alert_id=result.alert_id,
                incident_id=result.incident_id,
            )
            for result in results
        ],
    )


@router.post(
    "/integrations/alertmanager",
    response_model=SignalsAcceptedOut,
    responses=KEY_RESPONSES,
    openapi_extra=request_body_openapi(AlertmanagerWebhook),
)
async def receive_alertmanager(
    request: Request, context: Context, origin: Origin
) -> SignalsAcceptedOut:
    """Prometheus Alertmanager's webhook (version 4): firing alerts trigger, resolved resolve."""
    webhook = parse_payload(AlertmanagerWebhook, await request.body())
    # Batched with the other requests' signals, made from the policy the claim returns.
    results = await ingest_or_refuse(
        context,
        key=bearer_key(request),
        kind=IntegrationKind.ALERTMANAGER,
        endpoint="alertmanager",
        origin=origin,
        build=lambda policy, integration: signals_from_alertmanager(
            webhook, integration=integration, policy=policy
        ),
        count=len(webhook.alerts),
    )
    return _accepted(results)


@router.post(
    "/integrations/webhook",
    response_model=SignalsAcceptedOut,
    status_code=202,
    responses=KEY_RESPONSES,
    openapi_extra=request_body_openapi(WebhookSignal),
)
async def receive_webhook(request: Request, context: Context, origin: Origin) -> SignalsAcceptedOut:
    """The generic JSON webhook (see docs/incidents.md)."""
    body = parse_payload(WebhookSignal, await request.body())
    # The signal is made from the policy the ingestion claim returns: no read of its own.
    results = await ingest_or_refuse(
        context,
        key=bearer_key(request),
        kind=IntegrationKind.WEBHOOK,
        endpoint="webhook",
        origin=origin,
        build=lambda policy, integration: [
            signal_from_webhook(body, integration=integration, policy=policy)
        ],
        count=1,
    )
    return _accepted(results)


@router.get("/integrations", response_model=list[IntegrationOut])
async def list_integrations(
    *, _principal: IntegrationManager, session: DbSession
) -> list[IntegrationOut]:
    return [IntegrationOut.of(record) for record in await integrations.list_integrations(session)]


@router.post("/integrations", response_model=IntegrationKeyOut, status_code=201)
async def create_integration(
    *,
    body: IntegrationCreateIn,
    principal: IntegrationManager,
    context: Context,
    session: DbSession,
    origin: Origin,
) -> IntegrationKeyOut:
    """Create an integration; its key is in this answer only."""
    created = await integrations.create_integration(
        session,
        integration_id=body.id,
        settings=integrations.IntegrationSettings(
            name=body.name,
            kind=body.kind,
            default_severity=body.default_severity,
            default_category=body.default_category,
            rate_limit_per_minute=body.rate_limit_per_minute,
        ),
        actor=Actor.from_principal(principal),
        now=context.clock.now(),
        origin=origin,
    )
    await session.commit()
    return IntegrationKeyOut(**IntegrationOut.of(created.record).model_dump(), key=created.key)


@router.post("/integrations/{integration_id}/rotate", response_model=IntegrationKeyOut)
async def rotate_integration_key(
    *,
    integration_id: str,
    principal: IntegrationManager,
    context: Context,
    session: DbSession,
    origin: Origin,
) -> IntegrationKeyOut:
    """A new key, shown once; the old one stops working at once."""
    record = await integrations.get_integration(session, integration_id=integration_id)
    key = await integrations.rotate_integration_key(
        session,
        record=record,
        actor=Actor.from_principal(principal),
        now=context.clock.now(),
        origin=origin,
    )
    await session.commit()
    return IntegrationKeyOut(**IntegrationOut.of(record).model_dump(), key=key)


@router.delete("/integrations/{integration_id}", status_code=204)
async def disable_integration(
    *,
    integration_id: str,
    principal: IntegrationManager,
    context: Context,
    session: DbSession,
    origin: Origin,
) -> Response:
    """Disable an integration: its key is refused from now on; its alerts are kept."""
    record = await integrations.get_integration(session, integration_id=integration_id)
    await integrations.disable_integration(
        session,
        record=record,
        actor=Actor.from_principal(principal),
        now=context.clock.now(),
        origin=origin,
    )
    await session.commit()
    return Response(status_code=204)
