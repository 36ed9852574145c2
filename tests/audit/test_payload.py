"""What goes into ``before``/``after``: normalised, without secrets, bounded."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum

import pytest

from garrison.audit.canonical import encode_json
from garrison.audit.payload import (
    MAX_PAYLOAD_BYTES,
    REDACTED,
    TOO_DEEP,
    clean_text,
    is_secret_key,
    origin_document,
    prepare_payload,
)
from garrison.auth.principal import RequestOrigin


class Level(Enum):
    HIGH = 3


@dataclasses.dataclass
class Point:
    x: int
    secret: str


@pytest.mark.parametrize(
    "key",
    [
        "password",
        "Password",
        "password_hash",
        "new_password",
        "secret",
        "totp_secret",
        "totpSecret",
        "token",
        "token_hash",
        "csrf_token",
        "api_key",
        "apiKey",
        "API_KEY",
        "APIKey",
        "key",
        "routing-key",
    ],
)
def test_secret_keys_are_recognised(key: str) -> None:
    assert is_secret_key(key)


@pytest.mark.parametrize(
    "key",
    ["username", "token_id", "key_id", "monkey", "keyboard", "hash", "prefix", "", "totp_enabled"],
)
def test_ordinary_keys_are_kept(key: str) -> None:
    assert not is_secret_key(key)


def test_secrets_are_redacted_at_any_depth() -> None:
    value = {
        "user": {"name": "lan", "auth": [{"password": "x", "kind": "local"}]},
        "api_key": 12345,
        "cleared_secret": None,
    }
    assert prepare_payload(value) == {
        "user": {"name": "lan", "auth": [{"password": REDACTED, "kind": "local"}]},
        "api_key": REDACTED,
        "cleared_secret": None,
    }


def test_values_become_json_native() -> None:
    moment = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
    value = {
        "when": moment,
        "day": date(2026, 6, 1),
        "level": Level.HIGH,
        "amount": Decimal("1.50"),
        "set": {"b", "a"},
        "tuple": (1, 2),
        "bytes": b"\x00\x01",
        "nan": float("nan"),
        "point": Point(x=1, secret="s"),
        "text": "a\x00b\ud800",
        "labels": {1: "int key", Level.HIGH: "enum key"},
    }
    assert prepare_payload(value) == {
        "when": "2026-06-01T08:00:00.000000+00:00",
        "day": "2026-06-01",
        "level": 3,
        "amount": "1.50",
        "set": ["a", "b"],
        "tuple": [1, 2],
        "bytes": "[2 bytes]",
        "nan": "nan",
        "point": {"x": 1, "secret": REDACTED},
        "text": "a\ufffdb?",
        "labels": {"1": "int key", "3": "enum key"},
    }


def test_deep_nesting_is_cut() -> None:
    value: dict[str, object] = {}
    cursor = value
    for _ in range(50):
        cursor["d"] = {}
        cursor = cursor["d"]  # type: ignore[assignment]
    assert TOO_DEEP in encode_json(prepare_payload(value)).decode()


def test_a_large_value_is_truncated_deterministically() -> None:
    value = {"log": "x" * (MAX_PAYLOAD_BYTES + 10), "a_password": "p" * 10}
    first = prepare_payload(value)
    second = prepare_payload(dict(reversed(list(value.items()))))
    assert first == second
    assert first is not None
    assert first["_truncated"] is True
    assert len(encode_json(first)) < MAX_PAYLOAD_BYTES
    assert "p" * 10 not in first["preview"]
    assert REDACTED in first["preview"]


def test_a_value_at_the_limit_is_kept() -> None:
    overhead = len(encode_json({"log": ""}))
    value = {"log": "x" * (MAX_PAYLOAD_BYTES - overhead)}
    assert prepare_payload(value) == value


def test_text_is_cleaned_and_bounded() -> None:
    assert clean_text("ab\x00c", max_length=3) == "ab\ufffd"


def test_origin_is_kept_bounded() -> None:
    origin = RequestOrigin(
        address="192.0.2.1", user_agent="u" * 1000, request_id=None, channel="web"
    )
    document = origin_document(origin)
    assert document is not None
    assert document["address"] == "192.0.2.1"
    assert len(document["user_agent"]) == 300
    assert document["request_id"] is None
    assert document["channel"] == "web"
    assert origin_document(None) is None
