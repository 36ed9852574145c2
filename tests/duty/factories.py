"""Event configurations, plans and signed-in people for the duty tests."""

from __future__ import annotations

import textwrap
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from garrison.auth.permissions import Role
from garrison.config import EventConfig, load_config
from garrison.duty.plan import DutyPlan, OverridePlan, PostPlan
from garrison.duty.rotation import DailyWindow, LayerPlan, make_layer
from garrison.runtime.context import AppContext
from tests.auth.factories import bearer, make_token, make_user

HCM = "Asia/Ho_Chi_Minh"

# The test clock starts at 2026-06-01 08:00 UTC = 15:00 in Hà Nội, a NOC handoff.
BASE_CONFIG = """
event:
  id: drill-2026
  name: Duty test event
  timezone: Asia/Ho_Chi_Minh
  start: 2026-05-31T07:00:00
  end: 2026-06-07T07:00:00
  phases:
    - {id: preparation, start: 2026-05-01T08:00:00, end: 2026-05-31T07:00:00}
    - {id: operation, start: 2026-05-31T07:00:00, end: 2026-06-07T07:00:00}
organisation:
  units:
    - {id: comms, name: Communications, leader: lima}
  people:
    - {id: alpha, name: Alpha, unit: comms, role: duty_officer, username: alpha}
    - {id: bravo, name: Bravo, unit: comms, role: duty_officer, username: bravo}
    - {id: charlie, name: Charlie, unit: comms, role: duty_officer, username: charlie}
    - {id: delta, name: Delta, unit: comms, role: commander, username: delta}
    - {id: echo, name: Echo, unit: comms, role: commander, username: echo}
    - {id: lima, name: Lima, unit: comms, role: leader, username: lima}
    - {id: standin, name: Stand-in, unit: comms, role: engineer, username: standin}
  posts:
    - {id: command, name: Shift command, unit: comms}
    - {id: noc, name: Network operations centre, unit: comms}
"""

BASE_DUTY = """
duty:
  commander_post: command
  rotations:
    - post: command
      shift_length: 12
      handoff_time: "07:00"
      people: [delta, echo]
    - post: noc
      shift_length: 8
      handoff_time: "07:00"
      people: [alpha, bravo, charlie]
"""


def config_text(duty: str = BASE_DUTY, *, base: str = BASE_CONFIG) -> str:
    return textwrap.dedent(base).lstrip("\n") + textwrap.dedent(duty)


def write_config(path: Path, duty: str = BASE_DUTY, *, base: str = BASE_CONFIG) -> Path:
    path.write_text(config_text(duty, base=base), encoding="utf-8")
    return path


def config_from(duty: str = BASE_DUTY, *, base: str = BASE_CONFIG) -> EventConfig:
    data: dict[str, Any] = yaml.safe_load(config_text(duty, base=base))
    return EventConfig.model_validate(data)


def load_written(path: Path) -> EventConfig:
    return load_config(path, environ={}).config


def local(zone: str, year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A local wall-clock time in ``zone`` (first occurrence), as aware UTC."""
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def layer(
    *,
    zone: str = HCM,
    hours: float = 8,
    handoff: time = time(7),
    people: tuple[str, ...] = ("a", "b", "c"),
    begins_at: datetime | None = None,
    anchor_day: date = date(2026, 1, 1),
    windows: tuple[DailyWindow, ...] = (),
    name: str = "base",
) -> LayerPlan:
    tz = ZoneInfo(zone)
    begins = begins_at or datetime.combine(anchor_day, handoff, tzinfo=tz).astimezone(UTC)
    return make_layer(
        name=name,
        zone=tz,
        shift_hours=hours,
        handoff_time=handoff,
        people=people,
        begins_at=begins,
        anchor_day=anchor_day,
        windows=windows,
    )


def plan_of(
    *layers: LayerPlan,
    overrides: tuple[OverridePlan, ...] = (),
    zone: str = HCM,
    post: str = "post",
    window: tuple[datetime, datetime] | None = None,
) -> DutyPlan:
    start, end = window or (datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    return DutyPlan(
        zone=ZoneInfo(zone),
        posts={post: PostPlan(post=post, layers=layers, overrides=overrides)},
        window_start=start,
        window_end=end,
    )


async def person_headers(
    context: AppContext, username: str, *, role: Role = Role.DUTY_OFFICER
) -> dict[str, str]:
    """A signed-in user (bearer token) of ``role``."""
    await make_user(context, username, role=role)
    return bearer(await make_token(context, username))
