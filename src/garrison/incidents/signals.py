"""A signal in one shape, whatever sent it: what ingestion deduplicates and groups."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from garrison.incidents.models import DEDUP_KEY_LENGTH, SUMMARY_LENGTH
from garrison.incidents.vocabulary import Category, Severity

MAX_DETAILS_BYTES = 64 * 1024
PREVIEW_BYTES = 4 * 1024


class SignalAction(StrEnum):
    TRIGGER = "trigger"
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"
    RECORD = "record"  # kept, nothing else: an unknown state, maintenance


class SourceKind(StrEnum):
    PROBES = "probes"
    DETECTION = "detection"
    ALERTMANAGER = "alertmanager"
    PAGERDUTY = "pagerduty"
    WEBHOOK = "webhook"


@dataclass(frozen=True, slots=True)
class IncomingSignal:
    """One signal, normalised.

    ``severity`` None means "from the service's criticality and state" (probes).
    ``pages`` False: the alert never opens an incident by itself (UNREACHABLE), it only
    joins one. ``dependency_root`` is the service whose outage this one is accounted to.
    """

    source: str  # "probes", "detection" or "integration:<id>"
    source_kind: SourceKind
    source_name: str
    action: SignalAction
    dedup_key: str
    summary: str
    severity: Severity | None = None
    category: Category = Category.AVAILABILITY
    pages: bool = True
    service_id: str | None = None
    service_state: str | None = None
    site_id: str | None = None
    dependency_root: str | None = None
    group: str | None = None
    is_drill: bool = False
    occurred_at: datetime | None = None
    rate_limit_per_minute: int | None = None
    details: Mapping[str, Any] = field(default_factory=dict)


def clip(text: str, limit: int) -> str:
    """Text a column accepts: no NUL, at most ``limit`` characters."""
    cleaned = text.replace("\x00", "\ufffd")
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def clip_summary(text: str) -> str:
    return clip(" ".join(text.split()), SUMMARY_LENGTH) or "-"


def clip_key(key: str) -> str:
    """A deduplication key fits its column; a longer one is replaced by its digest."""
    key = key.replace("\x00", "\ufffd")
    if len(key) <= DEDUP_KEY_LENGTH:
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()


def bounded_details(value: Mapping[str, Any]) -> dict[str, Any]:
    """JSON-ready details of at most 64 KiB; larger ones are kept as a preview and digest."""
    encoded = json.dumps(value, default=_json_default, ensure_ascii=False).encode("utf-8")
    if len(encoded) <= MAX_DETAILS_BYTES:
        decoded: dict[str, Any] = json.loads(encoded)
        return decoded
    return {
        "_truncated": True,
        "original_bytes": len(encoded),
        "original_sha256": hashlib.sha256(encoded).hexdigest(),
        "preview": encoded[:PREVIEW_BYTES].decode("utf-8", "ignore"),
    }


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    return str(value)
