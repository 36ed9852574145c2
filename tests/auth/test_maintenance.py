from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import func, select

from garrison.auth.maintenance import purge_stale_auth_records
from garrison.auth.models import LoginAttempt, WebSession
from garrison.clock import ManualClock
from garrison.runtime.context import AppContext
from tests.auth.factories import PASSWORD, log_in, make_user


async def _count(context: AppContext, table: type[LoginAttempt] | type[WebSession]) -> int:
    async with context.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


async def test_old_attempts_and_dead_sessions_are_purged(
    client: httpx.AsyncClient, context: AppContext, clock: ManualClock
) -> None:
    await make_user(context, "alice")
    await client.post("/api/v1/auth/login", json={"username": "alice", "password": "nope nope"})
    await log_in(client, "alice", PASSWORD)
    window = context.settings.login_window_seconds
    async with context.sessions() as session:
        assert (
            await purge_stale_auth_records(session, now=clock.now(), login_window_seconds=window)
            == 0
        )
    clock.advance(context.settings.session_hours * 3600 + timedelta(days=1).total_seconds() + 1)
    async with context.sessions() as session:
        removed = await purge_stale_auth_records(
            session, now=clock.now(), login_window_seconds=window
        )
        await session.commit()
    assert removed == 3
    assert await _count(context, LoginAttempt) == 0
    assert await _count(context, WebSession) == 0
