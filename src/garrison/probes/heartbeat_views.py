"""The heartbeat URL: an outside job proves it is alive. No login: the token is the credential.

A wrong check id, a check that is no heartbeat, and a wrong token all get the same
404, so that the answer tells nothing about which checks exist.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from garrison.errors import NotFoundError
from garrison.i18n import gettext as _
from garrison.probes.commands import HeartbeatReceived
from garrison.probes.heartbeat import MAX_TOKEN_LENGTH, accept_heartbeat
from garrison.probes.metrics import heartbeat_refusals_not_audited
from garrison.probes.schemas import HeartbeatOkOut
from garrison.web.dependencies import Context, DbSession, Origin

router = APIRouter(tags=["heartbeat"])

CheckId = Annotated[str, Path(max_length=64)]
Token = Annotated[str, Path(max_length=MAX_TOKEN_LENGTH)]


_RESPONSES: dict[int | str, dict[str, object]] = {
    404: {"description": "Unknown check or wrong token (the same answer)."}
}


@router.post(
    "/heartbeat/{check_id}/{token}",
    response_model=HeartbeatOkOut,
    summary="Record a heartbeat (no body needed)",
    responses=_RESPONSES,
)
async def post_heartbeat(
    *, check_id: CheckId, token: Token, session: DbSession, context: Context, origin: Origin
) -> HeartbeatOkOut:
    return await _beat(check_id, token, session, context, origin)


@router.get(
    "/heartbeat/{check_id}/{token}",
    response_model=HeartbeatOkOut,
    summary="Record a heartbeat (for jobs that can only GET)",
    responses=_RESPONSES,
)
async def get_heartbeat(
    *, check_id: CheckId, token: Token, session: DbSession, context: Context, origin: Origin
) -> HeartbeatOkOut:
    return await _beat(check_id, token, session, context, origin)


async def _beat(
    check_id: str, token: str, session: DbSession, context: Context, origin: Origin
) -> HeartbeatOkOut:
    now = context.clock.now()
    not_audited = heartbeat_refusals_not_audited(context.registry)
    accepted = await accept_heartbeat(
        session,
        check_id=check_id,
        token=token,
        at=now,
        origin=origin,
        on_refusal_not_audited=not_audited.inc,
    )
    await session.commit()
    if not accepted:
        raise NotFoundError(_("There is no such heartbeat."))
    await context.bus.publish(HeartbeatReceived(occurred_at=now, check_id=check_id))
    return HeartbeatOkOut(received_at=now)
