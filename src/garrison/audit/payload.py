"""What an audit entry may store: JSON-native values, no secrets, bounded size.

Values are normalised before they are hashed, so that what is stored is exactly
what was hashed and reads back identically on SQLite and PostgreSQL.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import re
from collections.abc import Mapping, Set
from datetime import date, datetime, time
from enum import Enum
from typing import Any

from garrison.audit.canonical import encode_json, format_timestamp
from garrison.auth.principal import RequestOrigin

REDACTED = "[redacted]"
TOO_DEEP = "[too deep]"
MAX_PAYLOAD_BYTES = 64 * 1024
PREVIEW_BYTES = 4 * 1024
MAX_DEPTH = 32

# A key is secret when its last word is one of these (``password``, ``api_key``,
# ``totpSecret``), or when it is a hash or digest of one (``password_hash``).
_SECRET_WORDS = frozenset(
    {"password", "passwords", "passwd", "passphrase", "secret", "secrets", "token", "tokens"}
    | {"key", "keys", "apikey"}
)
_DERIVED_WORDS = frozenset({"hash", "digest"})
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+")

_ORIGIN_LIMITS = {"address": 64, "user_agent": 300, "request_id": 64, "channel": 16}


def is_secret_key(key: str) -> bool:
    words = [word.lower() for word in _WORD.findall(key)]
    if not words:
        return False
    if words[-1] in _SECRET_WORDS:
        return True
    return words[-1] in _DERIVED_WORDS and any(word in _SECRET_WORDS for word in words[:-1])


def clean_text(value: str, *, max_length: int) -> str:
    """Text a database column accepts everywhere: no NUL, no lone surrogates, bounded."""
    cleaned = value.replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")
    return cleaned[:max_length]


def prepare_payload(value: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Normalise, redact and bound a ``before``/``after`` value."""
    if value is None:
        return None
    normalised = _normalise_mapping(value, depth=0)
    encoded = encode_json(normalised)
    if len(encoded) <= MAX_PAYLOAD_BYTES:
        return normalised
    return {
        "_truncated": True,
        "original_bytes": len(encoded),
        "original_sha256": hashlib.sha256(encoded).hexdigest(),
        "preview": encoded[:PREVIEW_BYTES].decode("utf-8", "ignore"),
    }


def origin_document(origin: RequestOrigin | None) -> dict[str, Any] | None:
    if origin is None:
        return None
    values = {
        "address": origin.address,
        "user_agent": origin.user_agent,
        "request_id": origin.request_id,
        "channel": origin.channel,
    }
    return {
        name: None if value is None else clean_text(value, max_length=_ORIGIN_LIMITS[name])
        for name, value in values.items()
    }


def _normalise_mapping(value: Mapping[Any, Any], *, depth: int) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for raw_key, item in value.items():
        key = clean_text(_key_text(raw_key), max_length=200)
        if item is not None and is_secret_key(key):
            result[key] = REDACTED
        else:
            result[key] = _normalise(item, depth=depth + 1)
    return result


def _key_text(key: Any) -> str:
    if isinstance(key, Enum):
        return str(key.value)
    return str(key)


def _normalise(value: Any, *, depth: int) -> Any:
    if depth > MAX_DEPTH:
        return TOO_DEEP
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, str):
        return clean_text(value, max_length=MAX_PAYLOAD_BYTES)
    if isinstance(value, Enum):
        return _normalise(value.value, depth=depth)
    if isinstance(value, datetime):
        return format_timestamp(value) if value.tzinfo is not None else value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray):
        return f"[{len(value)} bytes]"
    if isinstance(value, Mapping):
        return _normalise_mapping(value, depth=depth)
    if isinstance(value, Set):
        items = [_normalise(item, depth=depth + 1) for item in value]
        return sorted(items, key=encode_json)
    if isinstance(value, list | tuple):
        return [_normalise(item, depth=depth + 1) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {field.name: getattr(value, field.name) for field in dataclasses.fields(value)}
        return _normalise_mapping(fields, depth=depth)
    model_dump = getattr(value, "model_dump", None)
    if callable(model_dump):
        return _normalise(model_dump(mode="json"), depth=depth)
    return clean_text(str(value), max_length=MAX_PAYLOAD_BYTES)
