"""Posting to an HTTP receiver, with one rule for what a failure means.

2xx is delivered. 408, 425, 429 and 5xx, and every network error, are temporary;
other answers (a wrong URL, a refused signature) will not get better by retrying.
Receivers' answers are never followed to another address.
"""

from __future__ import annotations

import httpx

from garrison.notify.errors import DeliveryFailed

TEMPORARY_STATUSES = frozenset({408, 425, 429})
MAX_ERROR_BODY = 200


async def send_request(
    client: httpx.AsyncClient,
    *,
    method: str,
    url: str,
    content: bytes | None,
    headers: dict[str, str],
    timeout_seconds: float,
) -> None:
    try:
        response = await client.request(
            method,
            url,
            content=content,
            headers=headers,
            timeout=timeout_seconds,
            follow_redirects=False,
        )
    except httpx.TimeoutException as exc:
        raise DeliveryFailed(f"no answer within {timeout_seconds:g} s", temporary=True) from exc
    except httpx.HTTPError as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}", temporary=True) from exc
    if response.is_success:
        return
    status = response.status_code
    excerpt = response.text[:MAX_ERROR_BODY].strip()
    temporary = status in TEMPORARY_STATUSES or status >= 500
    raise DeliveryFailed(f"HTTP {status}: {excerpt}".rstrip(": "), temporary=temporary)
