"""FastAPI dependencies of the duty views."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from garrison.config import EventConfig
from garrison.duty.source import configured_event
from garrison.web.dependencies import Context


def get_event_config(context: Context) -> EventConfig:
    """The running Garrison's event configuration (409 when it was started without one)."""
    return configured_event(context.settings)


EventConfiguration = Annotated[EventConfig, Depends(get_event_config)]


def person_names(config: EventConfig) -> dict[str, str]:
    return {person.id: person.name for person in config.organisation.people}
