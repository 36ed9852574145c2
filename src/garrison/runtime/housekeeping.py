"""Periodic clean-up that keeps the store small: expired sessions, old login attempts."""

from __future__ import annotations

import logging
from collections.abc import Callable

from garrison.auth.maintenance import purge_stale_auth_records
from garrison.runtime.context import AppContext

logger = logging.getLogger(__name__)

INTERVAL_SECONDS = 300.0


class HousekeepingWorker:
    name = "housekeeping"

    def __init__(self, context: AppContext, *, interval: float = INTERVAL_SECONDS) -> None:
        self.context = context
        self.interval = interval

    async def run(self, started: Callable[[], None]) -> None:
        started()
        while True:
            await self.run_once()
            await self.context.clock.sleep(self.interval)

    async def run_once(self) -> int:
        async with self.context.sessions() as session:
            removed = await purge_stale_auth_records(
                session,
                now=self.context.clock.now(),
                login_window_seconds=self.context.settings.login_window_seconds,
            )
            await session.commit()
        if removed:
            logger.info("housekeeping removed %d stale records", removed)
        return removed
