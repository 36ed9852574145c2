"""The `notifications` section: the channels Garrison reaches people by, and how.

- ``email``: an SMTP relay (STARTTLS or TLS, with a login); credentials from ``${VAR}``.
- ``webhook``: JSON posted to a person's ``contacts.webhook``, signed with ``secret``.
- ``chat``: a Slack or Mattermost incoming webhook per person (``people[].chat_webhook``).
- ``sms``: an HTTP gateway described by a template with ``{phone}`` and ``{message}``.

``channels`` is the default order; a person may have their own order and language in
``people``. A channel that keeps failing is left for the next one in the order.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, SecretStr, model_validator
from pydantic_core import PydanticCustomError

from garrison.config.checks import Host, Port
from garrison.config.fields import Email, Identifier, WebhookUrl
from garrison.config.models_base import FrozenModel
from garrison.i18n import gettext as _

MAX_PEOPLE_SETTINGS = 5000
MAX_TEMPLATE_LENGTH = 4000
PHONE_PLACEHOLDER = "{phone}"
MESSAGE_PLACEHOLDER = "{message}"

TimeoutSeconds = Annotated[float, Field(gt=0, le=120, description="Seconds before giving up.")]
Language = Literal["en", "vi"]


class ChannelKind(StrEnum):
    EMAIL = "email"
    WEBHOOK = "webhook"
    CHAT = "chat"
    SMS = "sms"


def _distinct(order: tuple[ChannelKind, ...]) -> tuple[ChannelKind, ...]:
    if len(set(order)) != len(order):
        raise PydanticCustomError("garrison_channel_twice", _("a channel is listed twice"))
    return order


ChannelOrder = Annotated[
    tuple[ChannelKind, ...], Field(min_length=1, max_length=4), AfterValidator(_distinct)
]


class SmtpSecurity(StrEnum):
    STARTTLS = "starttls"
    TLS = "tls"
    NONE = "none"


class EmailChannel(FrozenModel):
    host: Host
    port: Port = 587
    security: SmtpSecurity = SmtpSecurity.STARTTLS
    username: str | None = Field(default=None, max_length=256)
    password: SecretStr | None = Field(default=None, max_length=256)
    sender: Email = Field(description="The From address.")
    ca_file: Path | None = Field(
        default=None, description="PEM file of the CA that signed the relay's certificate."
    )
    verify_certificate: bool = True
    timeout_seconds: TimeoutSeconds = 10.0

    @model_validator(mode="after")
    def _login_complete(self) -> EmailChannel:
        if (self.username is None) != (self.password is None):
            raise ValueError(_("give both username and password, or neither"))
        return self


class WebhookChannel(FrozenModel):
    secret: SecretStr = Field(
        min_length=16,
        max_length=256,
        description="Shared secret of the X-Garrison-Signature HMAC; use ${VARIABLE}.",
    )
    timeout_seconds: TimeoutSeconds = 10.0


class ChatChannel(FrozenModel):
    blocks: bool = Field(default=False, description="Add Slack blocks next to the text.")
    timeout_seconds: TimeoutSeconds = 10.0


class SmsBodyFormat(StrEnum):
    JSON = "json"  # placeholders JSON-escaped, Content-Type application/json
    FORM = "form"  # placeholders URL-encoded, application/x-www-form-urlencoded
    TEXT = "text"  # placeholders as they are, text/plain


class SmsGateway(FrozenModel):
    url: str = Field(
        min_length=8,
        max_length=MAX_TEMPLATE_LENGTH,
        pattern=r"^https?://[^\s/]+",
        description="URL template; {phone} and {message} are URL-encoded into it.",
    )
    method: Literal["GET", "POST", "PUT"] = "POST"
    body: str = Field(
        default="",
        max_length=MAX_TEMPLATE_LENGTH,
        description="Body template with {phone} and {message}, escaped for body_format.",
    )
    body_format: SmsBodyFormat = SmsBodyFormat.JSON
    headers: dict[Annotated[str, Field(max_length=100)], SecretStr] = Field(
        default_factory=dict, max_length=20, description="Extra headers, e.g. an API key."
    )
    max_length: int = Field(default=480, ge=70, le=1600, description="Longest text sent.")
    timeout_seconds: TimeoutSeconds = 10.0

    @model_validator(mode="after")
    def _placeholders(self) -> SmsGateway:
        template = self.url + self.body
        for placeholder in (PHONE_PLACEHOLDER, MESSAGE_PLACEHOLDER):
            if placeholder not in template:
                raise ValueError(
                    _("the url or the body must contain {placeholder}").format(
                        placeholder=placeholder
                    )
                )
        if self.method == "GET" and self.body:
            raise ValueError(_("a GET request has no body; put the placeholders in the url"))
        return self


class PersonNotificationSettings(FrozenModel):
    person: Identifier
    channels: ChannelOrder | None = Field(default=None, description="This person's order.")
    language: Language | None = None
    chat_webhook: WebhookUrl | None = Field(
        default=None, description="Slack/Mattermost incoming webhook reaching this person."
    )


class NotificationsSection(FrozenModel):
    public_url: WebhookUrl | None = Field(
        default=None,
        description="Base URL of Garrison in links (default http://host:port of the server).",
    )
    channels: ChannelOrder = Field(
        default=(ChannelKind.EMAIL, ChannelKind.CHAT, ChannelKind.WEBHOOK, ChannelKind.SMS),
        description="Default channel order; the next is tried when one fails.",
    )
    email: EmailChannel | None = None
    webhook: WebhookChannel | None = None
    chat: ChatChannel = ChatChannel()
    sms: SmsGateway | None = None
    attempts_per_channel: int = Field(default=3, ge=1, le=10)
    retry_backoff_seconds: float = Field(
        default=10.0, gt=0, le=3600, description="Wait before the first retry; doubled each time."
    )
    retry_backoff_max_seconds: float = Field(default=300.0, gt=0, le=86_400)
    acknowledge_link_hours: float = Field(default=24.0, gt=0, le=168)
    people: tuple[PersonNotificationSettings, ...] = Field(
        default=(), max_length=MAX_PEOPLE_SETTINGS
    )

    def for_person(self, person_id: str) -> PersonNotificationSettings | None:
        for settings in self.people:
            if settings.person == person_id:
                return settings
        return None
