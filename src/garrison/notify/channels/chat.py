"""Slack and Mattermost incoming webhooks: ``{"text": ...}``, with blocks when asked for."""

from __future__ import annotations

import json
from typing import Any

import httpx

from garrison.config.notifications import ChannelKind, ChatChannel
from garrison.notify.channels.base import OutgoingMessage
from garrison.notify.channels.http import send_request

MAX_BLOCK_TEXT = 3000


def chat_payload(message: OutgoingMessage, *, blocks: bool) -> dict[str, Any]:
    payload: dict[str, Any] = {"text": message.text}
    if blocks:
        payload["blocks"] = [
            {"type": "header", "text": {"type": "plain_text", "text": message.subject[:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": message.text[:MAX_BLOCK_TEXT]}},
        ]
    return payload


class ChatSender:
    kind = ChannelKind.CHAT

    def __init__(self, settings: ChatChannel, *, client: httpx.AsyncClient) -> None:
        self.settings = settings
        self.client = client

    async def send(self, message: OutgoingMessage, *, address: str) -> None:
        body = json.dumps(chat_payload(message, blocks=self.settings.blocks), ensure_ascii=False)
        await send_request(
            self.client,
            method="POST",
            url=address,
            content=body.encode("utf-8"),
            headers={"Content-Type": "application/json", "User-Agent": "Garrison"},
            timeout_seconds=self.settings.timeout_seconds,
        )
