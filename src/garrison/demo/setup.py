"""Setting up the throw-away demo: the demo event, an admin login, and the lab as a worker."""

from __future__ import annotations

import asyncio
import os
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
DEMO_LAB_CA_VARIABLE = "GARRISON_DEMO_LAB_CA"
DEMO_HEARTBEAT_VARIABLE = "GARRISON_DEMO_SIEM_TOKEN"
DEMO_SIEM_CHECK = "siem-collector-heartbeat"
# The token the demo event falls back to when the variable is unset (see demo-event.yaml).
DEFAULT_SIEM_TOKEN = "demo-siem-heartbeat-token"  # noqa: S105 - throw-away, public demo value
HEARTBEAT_PATH = "/api/v1/heartbeat/{check_id}/{token}"
SIEM_HEARTBEAT_SECONDS = 5.0


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
    """The lab, trusted through its authority in the data directory, beating the SIEM's heart.

    The heartbeat token is the one the demo event read (``GARRISON_DEMO_SIEM_TOKEN``).
    """
    settings = context.settings
    token = os.environ.get(DEMO_HEARTBEAT_VARIABLE) or DEFAULT_SIEM_TOKEN
    path = HEARTBEAT_PATH.format(check_id=DEMO_SIEM_CHECK, token=token)
    lab = default_lab(
        context.clock,
        ca_file=demo_lab_ca_file(settings.data_dir),
        heartbeat_url=f"http://127.0.0.1:{settings.port}{path}",
        heartbeat_every=SIEM_HEARTBEAT_SECONDS,
    )
    return [DemoLabWorker(lab)]


def demo_lab_ca_file(data_dir: Path) -> Path:
    """Where the demo writes its lab's certificate authority, for the checks to trust."""
    return data_dir.resolve() / "demo-lab" / "ca.pem"


def demo_environment(now: datetime, data_dir: Path) -> dict[str, str]:
    """Every ``GARRISON_DEMO_*`` variable the demo event reads: dates, lab authority, token."""
    return {
        **demo_dates(now),
        DEMO_LAB_CA_VARIABLE: str(demo_lab_ca_file(data_dir)),
        DEMO_HEARTBEAT_VARIABLE: secrets.token_urlsafe(24),
    }


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
