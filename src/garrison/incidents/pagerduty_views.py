"""``POST /v2/enqueue``: the PagerDuty Events API v2, so any tool that pages PagerDuty at a
configurable URL can page Garrison. Mounted at that exact path, outside ``/api/v1``.

Answers as PagerDuty does: 202 ``{"status": "success", "message": "Event processed",
"dedup_key": …}``; 400 ``{"status": "invalid event", "message": …, "errors": […]}``.
An unknown routing key gets 401 (and an audit entry).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from garrison.config.incidents import IntegrationKind
from garrison.i18n import gettext as _
from garrison.incidents import integrations
from garrison.incidents.intake import RejectedKey, intake_for
from garrison.incidents.integration_schemas import PagerDutyAcceptedOut, PagerDutyErrorOut
from garrison.incidents.pagerduty import (
    PagerDutyEvent,
    PagerDutyInvalid,
    new_dedup_key,
    parse_pagerduty_event,
    signal_from_pagerduty,
)
from garrison.incidents.payloads import request_body_openapi
from garrison.web.dependencies import Context, Origin

router = APIRouter(tags=["integrations"])


@router.post(
    "/v2/enqueue",
    status_code=202,
    response_model=PagerDutyAcceptedOut,
    responses={400: {"model": PagerDutyErrorOut}, 401: {"model": PagerDutyErrorOut}},
    openapi_extra=request_body_openapi(PagerDutyEvent),
)
async def enqueue(request: Request, context: Context, origin: Origin) -> JSONResponse:
    """Trigger, acknowledge or resolve an alert; ``routing_key`` is a Garrison integration key."""
    try:
        event = parse_pagerduty_event(await request.body())
    except PagerDutyInvalid as exc:
        return JSONResponse(
            {
                "status": "invalid event",
                "message": _("Event object is invalid"),
                "errors": exc.errors,
            },
            status_code=400,
        )
    dedup_key = (event.dedup_key or "").strip() or new_dedup_key()
    try:
        # The routing key is checked in the transaction that writes the signal.
        await intake_for(context).ingest(
            key=event.routing_key,
            kind=IntegrationKind.PAGERDUTY,
            build=lambda policy, integration: [
                signal_from_pagerduty(
                    event, dedup_key=dedup_key, integration=integration, policy=policy
                )
            ],
            count=1,
        )
    except RejectedKey:
        await integrations.note_rejected_key(
            context.sessions,
            endpoint="pagerduty",
            key=event.routing_key,
            now=context.clock.now(),
            origin=origin,
        )
        return JSONResponse(
            {
                "status": "invalid routing key",
                "message": _("The routing key is not a valid Garrison integration key."),
                "errors": [_("'routing_key' is unknown or disabled")],
            },
            status_code=401,
        )
    body = PagerDutyAcceptedOut(dedup_key=dedup_key)
    return JSONResponse(body.model_dump(), status_code=202)
