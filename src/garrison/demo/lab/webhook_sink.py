"""A webhook receiver: where the demo event's notifications land, logged as they come.

Every POST is answered 204 and logged (path, size, and the notification's title
when the body is JSON with one); the last few are kept for whoever watches the
lab. One request per connection, bounded head and body. Fault: DOWN (nothing
listens, so Garrison's retries and fallback show).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from dataclasses import dataclass
from http import HTTPStatus
from typing import ClassVar

from garrison.demo.lab.http_wire import (
    MAX_HEAD_BYTES,
    MalformedRequestError,
    encode_response,
    parse_request_head,
    plain_response,
)
from garrison.demo.lab.stream_target import StreamTarget
from garrison.demo.lab.targets import FaultKind

logger = logging.getLogger(__name__)

KEPT_DELIVERIES = 50
_READ_TIMEOUT_SECONDS = 10.0
_TITLE_KEYS = ("subject", "title", "summary", "text")


@dataclass(frozen=True, slots=True)
class Delivery:
    path: str
    body: bytes


class WebhookSink(StreamTarget):
    kind: ClassVar[str] = "webhook"
    supported_faults: ClassVar[frozenset[FaultKind]] = frozenset({FaultKind.DOWN})
    read_limit: ClassVar[int] = MAX_HEAD_BYTES

    def __init__(self, *, name: str, port: int) -> None:
        super().__init__(name=name, port=port)
        self.deliveries: deque[Delivery] = deque(maxlen=KEPT_DELIVERIES)
        self.received = 0
        self._progress = asyncio.Event()

    async def wait_for_deliveries(self, count: int) -> None:
        """Return once ``count`` webhooks were received in all; bound it with a timeout."""
        while self.received < count:
            self._progress.clear()
            await self._progress.wait()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(_READ_TIMEOUT_SECONDS):
                request = parse_request_head(await reader.readuntil(b"\r\n\r\n"))
                body = await reader.readexactly(request.content_length)
        except MalformedRequestError as exc:
            response = plain_response(exc.status, exc.status.phrase)
        except (TimeoutError, asyncio.LimitOverrunError, asyncio.IncompleteReadError):
            return
        else:
            if request.method == "POST":
                self._record(Delivery(path=request.path[:200], body=body))
                response = plain_response(HTTPStatus.NO_CONTENT, "")
            else:
                response = plain_response(HTTPStatus.METHOD_NOT_ALLOWED, "POST only")
        writer.write(encode_response(response, head_only=False, keep_alive=False))
        await writer.drain()

    def _record(self, delivery: Delivery) -> None:
        self.deliveries.append(delivery)
        self.received += 1
        self._progress.set()
        logger.info(
            "demo lab: %s received a webhook on %s (%d bytes): %s",
            self.name,
            delivery.path,
            len(delivery.body),
            _title(delivery.body),
        )


def _title(body: bytes) -> str:
    """The notification's title, if the body is a JSON object with one."""
    try:
        document = json.loads(body)
    except ValueError:
        return "-"
    if isinstance(document, dict):
        for key in _TITLE_KEYS:
            value = document.get(key)
            if isinstance(value, str) and value:
                return value[:200]
    return "-"
