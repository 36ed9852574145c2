"""The value types the event configuration is made of, with their checks."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Annotated
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field, StringConstraints, WithJsonSchema
from pydantic_core import PydanticCustomError

from garrison.i18n import gettext as _

ID_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,63}$"
USERNAME_PATTERN = r"^[a-z0-9][a-z0-9_.@-]{0,63}$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
PHONE_PATTERN = r"^\+?[0-9][0-9 ().-]{2,31}$"

ENDPOINT_SCHEMES = ("http", "https", "tcp", "udp", "dns", "sip", "smtp", "icmp")
WEBHOOK_SCHEMES = ("http", "https")
_SCHEMES_NEEDING_PORT = frozenset({"tcp", "udp"})


def _check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise PydanticCustomError(
            "garrison_timezone",
            _("unknown time zone; use an IANA name such as Asia/Ho_Chi_Minh"),
        ) from None
    return name


def _check_url(value: str, schemes: tuple[str, ...]) -> str:
    # Messages never repeat the value: it may come from a secret environment variable.
    parts = urlsplit(value)
    if any(character.isspace() for character in value) or not parts.hostname:
        raise PydanticCustomError(
            "garrison_url",
            _("expected a URL of the form scheme://host[:port][/path]"),
        )
    if parts.scheme.lower() not in schemes:
        raise PydanticCustomError(
            "garrison_url_scheme",
            _("unsupported URL scheme; use one of: {schemes}").format(schemes=", ".join(schemes)),
        )
    try:
        port = parts.port
    except ValueError:
        raise PydanticCustomError(
            "garrison_url_port", _("the port must be a number from 1 to 65535")
        ) from None
    if port is None and parts.scheme.lower() in _SCHEMES_NEEDING_PORT:
        raise PydanticCustomError("garrison_url_port", _("tcp:// and udp:// endpoints need a port"))
    if port == 0:
        raise PydanticCustomError(
            "garrison_url_port", _("the port must be a number from 1 to 65535")
        )
    return value


def _check_endpoint(value: str) -> str:
    return _check_url(value, ENDPOINT_SCHEMES)


def _check_webhook(value: str) -> str:
    return _check_url(value, WEBHOOK_SCHEMES)


def as_utc(moment: datetime, zone: tzinfo) -> datetime:
    """Read a naive datetime in ``zone``; keep an explicit offset; return aware UTC."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


def _url_schema(schemes: tuple[str, ...], description: str) -> WithJsonSchema:
    return WithJsonSchema(
        {
            "type": "string",
            "pattern": f"^({'|'.join(schemes)})://[^\\s/]+",
            "description": description,
        }
    )


Identifier = Annotated[
    str,
    StringConstraints(pattern=ID_PATTERN),
    Field(description="Lowercase id: letters, digits, '_', '.', '-'; at most 64 characters."),
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(max_length=4000)]
TimezoneName = Annotated[
    str,
    AfterValidator(_check_timezone),
    Field(description="IANA time zone name, e.g. Asia/Ho_Chi_Minh."),
]
EventTime = Annotated[
    datetime,
    WithJsonSchema(
        {
            "type": "string",
            "description": (
                "ISO 8601 date and time, e.g. 2026-01-19T08:00:00; without an offset it is "
                "read in the event's time zone."
            ),
        }
    ),
]
Endpoint = Annotated[
    str,
    AfterValidator(_check_endpoint),
    _url_schema(ENDPOINT_SCHEMES, "scheme://host[:port][/path]"),
]
WebhookUrl = Annotated[
    str,
    AfterValidator(_check_webhook),
    _url_schema(WEBHOOK_SCHEMES, "http(s) URL that receives notifications."),
]
Username = Annotated[str, StringConstraints(pattern=USERNAME_PATTERN)]
Email = Annotated[str, StringConstraints(pattern=EMAIL_PATTERN, max_length=254)]
Phone = Annotated[str, StringConstraints(pattern=PHONE_PATTERN)]
