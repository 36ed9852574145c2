"""The generic webhook: the message as JSON, signed so the receiver knows it is ours.

Headers: ``X-Garrison-Signature: sha256=<hex HMAC-SHA256 of the exact body>`` with
the shared secret, ``X-Garrison-Timestamp`` (Unix seconds, also in the body as
``timestamp``, so the signature covers it: a receiver refuses old or replayed
bodies) and ``Idempotency-Key`` (the same for every retry of one delivery).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import httpx

from garrison.clock import Clock
from garrison.config.notifications import ChannelKind, WebhookChannel
from garrison.notify.channels.base import OutgoingMessage
from garrison.notify.channels.http import send_request

SIGNATURE_HEADER = "X-Garrison-Signature"
TIMESTAMP_HEADER = "X-Garrison-Timestamp"


def signature(secret: bytes, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def signed_body(document: dict[str, Any], *, key: str, timestamp: int) -> bytes:
    envelope = {**document, "idempotency_key": key, "timestamp": timestamp}
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class WebhookSender:
    kind = ChannelKind.WEBHOOK

    def __init__(
        self, settings: WebhookChannel, *, client: httpx.AsyncClient, clock: Clock
    ) -> None:
        self.settings = settings
        self.client = client
        self.clock = clock

    async def send(self, message: OutgoingMessage, *, address: str) -> None:
        timestamp = int(self.clock.now().timestamp())
        body = signed_body(message.document, key=message.key, timestamp=timestamp)
        secret = self.settings.secret.get_secret_value().encode("utf-8")
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: signature(secret, body),
            TIMESTAMP_HEADER: str(timestamp),
            "Idempotency-Key": message.key,
            "User-Agent": "Garrison",
        }
        await send_request(
            self.client,
            method="POST",
            url=address,
            content=body,
            headers=headers,
            timeout_seconds=self.settings.timeout_seconds,
        )
