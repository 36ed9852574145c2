"""What the readiness pages (tasks, inspections, plans) share: their permissions, the event
configuration they need, the notice shown after a change, and event-local form times.

A change is a plain form post answered by a redirect (post/redirect/get); the page it lands
on says what was done from the ``done`` key in its address, one of :func:`notices` keys,
never free text from the address.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends

from garrison.auth.dependencies import require_page
from garrison.auth.permissions import Permission
from garrison.auth.principal import Principal
from garrison.config import EventConfig
from garrison.console.dependencies import OptionalEventConfig
from garrison.errors import ConflictError, ValidationFailed
from garrison.i18n import gettext as _
from garrison.i18n import pgettext

ReadinessPage = Annotated[Principal, Depends(require_page(Permission.READINESS_READ))]
ReadinessManagerPage = Annotated[Principal, Depends(require_page(Permission.READINESS_MANAGE))]


def readiness_config(config: OptionalEventConfig) -> EventConfig:
    """Units, people, plans and checklists come from the event file (409 without one)."""
    if config is None:
        raise ConflictError(
            _("Garrison was started without a configuration file: readiness comes from it.")
        )
    return config


ReadinessConfig = Annotated[EventConfig, Depends(readiness_config)]


def notices() -> dict[str, str]:
    """What a page says after a change succeeded, by the ``done`` key of its address."""
    return {
        "task_created": _("The task was created."),
        "task_done": _("The task was marked done."),
        "task_cancelled": _("The task was cancelled."),
        "evidence_added": _("The evidence was added."),
        "inspection_started": _("The inspection was started."),
        "item_recorded": _("The item was recorded."),
        "item_failed": _("The item was recorded as failed: a task was made of it."),
        "inspection_finished": _("The inspection was finished."),
        "plan_saved": _("The plan was saved."),
    }


def notice(done: str) -> str | None:
    return notices().get(done)


def task_status_labels() -> dict[str, str]:
    return {
        "open": pgettext("readiness task", "Open"),
        "done": pgettext("readiness task", "Done"),
        "cancelled": pgettext("readiness task", "Cancelled"),
    }


def local_time(value: str, *, timezone: str, field: str) -> datetime:
    """A form's ``datetime-local`` value, read in the event's time zone (an offset wins)."""
    try:
        local = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValidationFailed(
            _("%(field)s: not a date and time: %(value)s") % {"field": field, "value": value[:40]}
        ) from None
    if local.tzinfo is None:
        local = local.replace(tzinfo=ZoneInfo(timezone))
    return local
