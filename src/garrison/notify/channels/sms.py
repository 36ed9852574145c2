"""SMS through an HTTP gateway described by a template.

``{phone}`` and ``{message}`` are the only placeholders; nothing else in the
template is interpreted, so JSON braces need no escaping. In the URL they are
percent-encoded; in the body they are escaped for its format: JSON string
content, form encoding, or as they are for plain text.
"""

from __future__ import annotations

import json
from urllib.parse import quote, quote_plus

import httpx

from garrison.config.notifications import (
    MESSAGE_PLACEHOLDER,
    PHONE_PLACEHOLDER,
    ChannelKind,
    SmsBodyFormat,
    SmsGateway,
)
from garrison.notify.channels.base import OutgoingMessage
from garrison.notify.channels.http import send_request

CONTENT_TYPES = {
    SmsBodyFormat.JSON: "application/json",
    SmsBodyFormat.FORM: "application/x-www-form-urlencoded",
    SmsBodyFormat.TEXT: "text/plain; charset=utf-8",
}


def fill(template: str, values: dict[str, str]) -> str:
    """Replace each placeholder once, left to right: a value is never scanned again."""
    out: list[str] = []
    position = 0
    while position < len(template):
        found = [(template.find(name, position), name) for name in values]
        found = [(index, name) for index, name in found if index >= 0]
        if not found:
            break
        index, name = min(found)
        out.append(template[position:index])
        out.append(values[name])
        position = index + len(name)
    out.append(template[position:])
    return "".join(out)


def _json_escaped(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)[1:-1]


def normalise_phone(phone: str) -> str:
    """``+84 (90) 123-4567`` → ``+84901234567``: the form gateways expect."""
    digits = "".join(character for character in phone if character.isdigit())
    return f"+{digits}" if phone.strip().startswith("+") else digits


def render_request(gateway: SmsGateway, *, phone: str, text: str) -> tuple[str, bytes | None]:
    """The URL and body for one message, every placeholder escaped for where it stands."""
    text = text[: gateway.max_length]
    phone = normalise_phone(phone)
    url = fill(
        gateway.url,
        {PHONE_PLACEHOLDER: quote(phone, safe=""), MESSAGE_PLACEHOLDER: quote(text, safe="")},
    )
    if gateway.method == "GET" or not gateway.body:
        return url, None
    if gateway.body_format == SmsBodyFormat.JSON:
        values = {PHONE_PLACEHOLDER: _json_escaped(phone), MESSAGE_PLACEHOLDER: _json_escaped(text)}
    elif gateway.body_format == SmsBodyFormat.FORM:
        values = {PHONE_PLACEHOLDER: quote_plus(phone), MESSAGE_PLACEHOLDER: quote_plus(text)}
    else:
        values = {PHONE_PLACEHOLDER: phone, MESSAGE_PLACEHOLDER: text}
    return url, fill(gateway.body, values).encode("utf-8")


class SmsSender:
    kind = ChannelKind.SMS

    def __init__(self, settings: SmsGateway, *, client: httpx.AsyncClient) -> None:
        self.settings = settings
        self.client = client

    async def send(self, message: OutgoingMessage, *, address: str) -> None:
        url, body = render_request(self.settings, phone=address, text=message.short_text)
        headers = {name: value.get_secret_value() for name, value in self.settings.headers.items()}
        headers.setdefault("User-Agent", "Garrison")
        if body is not None:
            headers.setdefault("Content-Type", CONTENT_TYPES[self.settings.body_format])
        await send_request(
            self.client,
            method=self.settings.method,
            url=url,
            content=body,
            headers=headers,
            timeout_seconds=self.settings.timeout_seconds,
        )
