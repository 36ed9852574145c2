"""Setting up the throw-away demo: the demo event, an admin login, and the lab as a worker."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from garrison.audit.actor import Actor
from garrison.auth.permissions import Role
from garrison.auth.users import create_user, find_user, set_password
from garrison.demo.lab import DemoLab, default_lab
from garrison.runtime.context import AppContext

DEMO_EVENT_FILE = Path(__file__).resolve().parent / "event" / "demo-event.yaml"
DEMO_ADMIN = "admin"
DEMO_TIMEZONE = "Asia/Ho_Chi_Minh"


@dataclass(frozen=True, slots=True)
class DemoLogin:
    username: str
    password: str


async def create_demo_admin(context: AppContext) -> DemoLogin:
    """An admin for this throw-away data directory, with a fresh random password."""
    actor = Actor.system("demo")
    now = context.clock.now()
    async with context.sessions() as session:
        user = await find_user(session, username=DEMO_ADMIN)
        if user is None:
            user, _one_time = await create_user(
                session,
                username=DEMO_ADMIN,
                role=Role.ADMIN,
                display_name="Demo administrator",
                actor=actor,
                now=now,
            )
        # The demo hands its password out on the terminal; asking to change it at the
        # first login would only get in the way of a throw-away installation.
        password = secrets.token_urlsafe(12)
        await set_password(session, user=user, new_password=password, actor=actor, now=now)
        await session.commit()
    return DemoLogin(username=DEMO_ADMIN, password=password)


class DemoLabWorker:
    """Runs the demo lab for as long as Garrison runs."""

    name = "demo-lab"

    def __init__(self, lab: DemoLab) -> None:
        self.lab = lab

    async def run(self, started: Callable[[], None]) -> None:
        async with self.lab:
            started()
            await asyncio.Event().wait()


def demo_workers(context: AppContext) -> list[DemoLabWorker]:
    return [DemoLabWorker(default_lab(context.clock))]


def demo_dates(now: datetime, timezone: str = DEMO_TIMEZONE) -> dict[str, str]:
    """Event dates that put ``now`` on the second day of the operation window.

    The demo event reads them from ``GARRISON_DEMO_*`` variables, so the console
    shows an event under way instead of one long over.
    """
    local_midnight = now.astimezone(ZoneInfo(timezone)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    start = local_midnight - timedelta(days=1) + timedelta(hours=7)
    end = start + timedelta(days=6, hours=15)
    values = {
        "GARRISON_DEMO_PREPARATION_START": start - timedelta(days=28),
        "GARRISON_DEMO_START": start,
        "GARRISON_DEMO_END": end,
        "GARRISON_DEMO_REVIEW_END": end + timedelta(days=12),
    }
    return {name: value.replace(tzinfo=None).isoformat() for name, value in values.items()}
