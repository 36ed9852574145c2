"""FastAPI dependencies shared by every domain's views."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Literal

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.auth.principal import RequestOrigin
from garrison.runtime.context import AppContext
from garrison.storage.engine import reading

_READING_METHODS = frozenset({"GET", "HEAD"})


# Coroutines, though they never wait: FastAPI runs a plain function dependency on a
# worker thread, a round trip that costs more than the function.
async def get_context(request: Request) -> AppContext:
    context = request.app.state.context
    assert isinstance(context, AppContext)
    return context


Context = Annotated[AppContext, Depends(get_context)]


async def get_db_session(request: Request, context: Context) -> AsyncIterator[AsyncSession]:
    """A session per request; views commit explicitly, anything uncommitted is rolled back.

    GET and HEAD read (mostly): on SQLite they do not queue behind writers.
    """
    async with context.sessions() as session:
        if request.method in _READING_METHODS:
            reading(session)
        yield session


DbSession = Annotated[AsyncSession, Depends(get_db_session)]


async def get_origin(request: Request) -> RequestOrigin:
    client = request.client
    channel: Literal["api", "web"] = "api" if request.url.path.startswith("/api/") else "web"
    return RequestOrigin(
        address=client.host if client else None,
        user_agent=(request.headers.get("user-agent") or "")[:300] or None,
        request_id=request.headers.get("x-request-id", "")[:64] or None,
        channel=channel,
    )


Origin = Annotated[RequestOrigin, Depends(get_origin)]
