"""``/console/stream``: server-sent events telling a signed-in browser what to refetch."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from garrison.auth.principal import Principal
from garrison.console.dependencies import EventPage, Hub
from garrison.console.hub import ConsoleHub
from garrison.errors import ConflictError
from garrison.i18n import gettext as _
from garrison.incidents.access import Viewer, viewer_for
from garrison.runtime.context import WorkerHealth
from garrison.web.dependencies import Context, DbSession

router = APIRouter(include_in_schema=False)

HEARTBEAT_SECONDS = 15.0
# How often a quiet stream looks whether the server is shutting down.
SHUTDOWN_POLL_SECONDS = 0.25
RETRY_MILLISECONDS = 3000


def _message(event: str, data: object) -> str:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n"


async def live_events(
    *,
    hub: ConsoleHub,
    principal: Principal,
    viewer: Viewer,
    health: WorkerHealth,
    heartbeat_seconds: float = HEARTBEAT_SECONDS,
) -> AsyncIterator[str]:
    """The stream of one client until it leaves or the server stops."""
    loop = asyncio.get_running_loop()
    client = hub.connect(principal, viewer)
    try:
        yield f"retry: {RETRY_MILLISECONDS}\n: connected\n\n"
        last_beat = loop.time()
        while not health.stopping:
            lagged, updates = await client.take(wait_seconds=SHUTDOWN_POLL_SECONDS)
            if lagged:
                yield _message("refetch", {})
            for update in updates:
                yield _message("update", update.as_json())
            if loop.time() - last_beat >= heartbeat_seconds:
                last_beat = loop.time()
                yield ": heartbeat\n\n"
        # Tell the browser not to reconnect at once: the server is going away.
        yield _message("bye", {})
    finally:
        await hub.disconnect(client)


@router.get("/console/stream")
async def console_stream(
    principal: EventPage, session: DbSession, context: Context, hub: Hub
) -> StreamingResponse:
    if principal.via != "session":
        raise ConflictError(
            _("The live stream is for signed-in browsers; API clients read the API instead.")
        )
    viewer = await viewer_for(session, principal)
    # Give the connection back now: the stream may stay open for a whole shift.
    await session.close()
    return StreamingResponse(
        live_events(hub=hub, principal=principal, viewer=viewer, health=context.workers),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
