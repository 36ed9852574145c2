"""PagerDuty Events API v2 compatibility: ``POST /v2/enqueue`` with a Garrison integration key.

``routing_key`` is the key of a ``pagerduty`` integration; ``event_action`` trigger,
acknowledge or resolve; ``dedup_key`` (made up and returned when a trigger has none)
deduplicates. Errors are reported as PagerDuty does: a list of messages naming the field.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from garrison.config.incidents import IncidentsConfig
from garrison.i18n import gettext as _
from garrison.incidents.errors import InvalidSignal
from garrison.incidents.models import Integration
from garrison.incidents.payloads import decode_json, field_path
from garrison.incidents.policy import pagerduty_severity
from garrison.incidents.signals import (
    IncomingSignal,
    SignalAction,
    SourceKind,
    bounded_details,
    clip_key,
    clip_summary,
)
from garrison.incidents.vocabulary import Category

MAX_LINKS = 50
CATEGORY_VALUES = frozenset(category.value for category in Category)


class PagerDutyInvalid(Exception):
    """The event is not valid; ``errors`` are PagerDuty-style messages, one per problem."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


class _Part(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class PagerDutyLink(_Part):
    href: str = Field(min_length=1, max_length=4096)
    text: str = Field(default="", max_length=1024)


class PagerDutyImage(_Part):
    src: str = Field(min_length=1, max_length=4096)
    href: str = Field(default="", max_length=4096)
    alt: str = Field(default="", max_length=1024)


class PagerDutyPayload(_Part):
    summary: str = Field(max_length=1024)
    source: str = Field(max_length=255)
    severity: Literal["critical", "error", "warning", "info"]
    timestamp: datetime | None = None
    component: str | None = Field(default=None, max_length=255)
    group: str | None = Field(default=None, max_length=255)
    event_class: str | None = Field(default=None, alias="class", max_length=255)
    custom_details: Any = None

    @field_validator("summary", "source")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("is missing or blank")
        return value


class PagerDutyEvent(_Part):
    routing_key: str = Field(min_length=1, max_length=200)
    event_action: Literal["trigger", "acknowledge", "resolve"]
    dedup_key: str | None = Field(default=None, max_length=255)
    payload: PagerDutyPayload | None = None
    links: list[PagerDutyLink] = Field(default_factory=list, max_length=MAX_LINKS)
    images: list[PagerDutyImage] = Field(default_factory=list, max_length=MAX_LINKS)
    client: str | None = Field(default=None, max_length=255)
    client_url: str | None = Field(default=None, max_length=4096)

    @model_validator(mode="after")
    def _required_by_action(self) -> PagerDutyEvent:
        if self.event_action == "trigger" and self.payload is None:
            raise ValueError("'payload' is missing or blank")
        if self.event_action != "trigger" and not (self.dedup_key or "").strip():
            raise ValueError("'dedup_key' is missing or blank")
        return self


def parse_pagerduty_event(raw: bytes) -> PagerDutyEvent:
    try:
        document = decode_json(raw)
    except InvalidSignal as exc:
        raise PagerDutyInvalid([exc.message]) from None
    if not isinstance(document, dict):
        raise PagerDutyInvalid([_("Event object is invalid: a JSON object is expected.")])
    try:
        return PagerDutyEvent.model_validate(document)
    except ValidationError as exc:
        raise PagerDutyInvalid(_pagerduty_errors(exc)) from None


def _pagerduty_errors(exc: ValidationError) -> list[str]:
    messages = []
    for error in exc.errors()[:20]:
        location = tuple(error["loc"])
        message = str(error["msg"]).removeprefix("Value error, ")
        if not location:
            # A rule about the whole event names its field itself: "'payload' is missing…".
            field, _sep, rest = message.partition(" is ")
            location, message = (field.strip("'"),), rest
        name = field_path(location)
        if error["type"] == "missing" or "missing or blank" in message:
            messages.append(_("'%(field)s' is missing or blank") % {"field": name})
        else:
            messages.append(
                _("'%(field)s' is invalid: %(problem)s") % {"field": name, "problem": message}
            )
    return messages


def new_dedup_key() -> str:
    return uuid.uuid4().hex


def signal_from_pagerduty(
    event: PagerDutyEvent, *, dedup_key: str, integration: Integration, policy: IncidentsConfig
) -> IncomingSignal:
    payload = event.payload
    action = SignalAction(event.event_action)
    category = Category(integration.default_category)
    if payload is not None and payload.event_class in CATEGORY_VALUES:
        category = Category(payload.event_class)
    summary = payload.summary if payload is not None else event.event_action
    timestamp = payload.timestamp if payload is not None else None
    if timestamp is not None and timestamp.tzinfo is None:
        timestamp = timestamp.replace(tzinfo=UTC)
    return IncomingSignal(
        source=integration.source,
        source_kind=SourceKind.PAGERDUTY,
        source_name=integration.name,
        action=action,
        dedup_key=clip_key(f"pagerduty:{dedup_key}"),
        summary=clip_summary(summary),
        severity=(
            pagerduty_severity(policy, severity=payload.severity) if payload is not None else None
        ),
        category=category,
        group=payload.group if payload is not None and payload.group else None,
        occurred_at=timestamp,
        rate_limit_per_minute=integration.rate_limit_per_minute,
        details=bounded_details(
            {
                "dedup_key": dedup_key,
                "payload": None if payload is None else payload.model_dump(mode="json"),
                "links": [link.model_dump() for link in event.links],
                "images": [image.model_dump() for image in event.images],
                "client": event.client,
                "client_url": event.client_url,
            }
        ),
    )
