"""What the notification views need from the running Garrison's configuration."""

from __future__ import annotations

import logging

from garrison.config import EventConfig
from garrison.duty.source import configured_event
from garrison.errors import GarrisonError
from garrison.runtime.context import AppContext

logger = logging.getLogger(__name__)


def optional_event(context: AppContext) -> EventConfig | None:
    """The event configuration, or None when Garrison runs without one (or it is unreadable)."""
    if context.settings.config_file is None:
        return None
    try:
        return configured_event(context.settings)
    except GarrisonError as exc:
        logger.warning("the event configuration cannot be read: %s", exc)
        return None
