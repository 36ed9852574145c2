"""Per-request language: the user's cookie choice, else the browser's, else the default."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from garrison.i18n import SUPPORTED_LANGUAGES, use_language

LANGUAGE_COOKIE = "garrison_lang"


def negotiate_language(cookie_value: str | None, accept_language: str | None, default: str) -> str:
    if cookie_value in SUPPORTED_LANGUAGES:
        assert cookie_value is not None
        return cookie_value
    for part in (accept_language or "").split(",")[:20]:
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in SUPPORTED_LANGUAGES:
            return tag
    return default


class LanguageMiddleware:
    def __init__(self, app: ASGIApp, *, default: str) -> None:
        self.app = app
        self.default = default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cookie_value: str | None = None
        accept: str | None = None
        for name, value in scope.get("headers", []):
            if name == b"cookie":
                for item in value.decode("latin-1").split(";"):
                    key, _, raw = item.strip().partition("=")
                    if key == LANGUAGE_COOKIE:
                        cookie_value = raw
            elif name == b"accept-language":
                accept = value.decode("latin-1")
        with use_language(negotiate_language(cookie_value, accept, self.default)):
            await self.app(scope, receive, send)
