"""The canonical encoding: the same entry always gives the same bytes and hash."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from garrison.audit.canonical import (
    GENESIS_HASH,
    HashedFields,
    canonical_bytes,
    encode_json,
    entry_hash,
    format_timestamp,
)

AT = datetime(2026, 6, 1, 8, 0, 0, 5, tzinfo=UTC)


def _fields(**changes: object) -> HashedFields:
    base = HashedFields(
        seq=1,
        occurred_at=AT,
        actor_kind="user",
        actor_id="1",
        actor_name="Nguyễn Thị Lan",
        action="user.create",
        target_type="user",
        target_id="lan",
        before=None,
        after={"role": "leader", "display_name": "Lan"},
        origin={"address": "192.0.2.1", "channel": "web"},
        prev_hash=GENESIS_HASH,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_the_encoding_is_compact_sorted_utf8_json() -> None:
    encoded = canonical_bytes(_fields())
    assert b" " not in encoded.replace("Nguyễn Thị Lan".encode(), b"")
    assert "Nguyễn Thị Lan".encode() in encoded
    document = json.loads(encoded)
    assert list(document) == sorted(document)
    assert document["occurred_at"] == "2026-06-01T08:00:00.000005+00:00"
    assert "hash" not in document
    assert encoded == canonical_bytes(_fields())


def test_key_order_does_not_matter() -> None:
    one = _fields(after={"a": 1, "b": {"x": 1, "y": 2}})
    other = _fields(after={"b": {"y": 2, "x": 1}, "a": 1})
    assert canonical_bytes(one) == canonical_bytes(other)
    assert entry_hash(one) == entry_hash(other)


def test_the_same_moment_in_another_zone_encodes_the_same() -> None:
    hanoi = AT.astimezone(timezone(timedelta(hours=7)))
    assert canonical_bytes(_fields(occurred_at=hanoi)) == canonical_bytes(_fields())


def test_a_naive_time_cannot_be_encoded() -> None:
    with pytest.raises(ValueError, match="naive"):
        format_timestamp(datetime(2026, 6, 1))  # noqa: DTZ001


@pytest.mark.parametrize(
    "change",
    [
        {"seq": 2},
        {"occurred_at": AT + timedelta(microseconds=1)},
        {"actor_kind": "cli"},
        {"actor_id": None},
        {"actor_name": "lan"},
        {"action": "user.update"},
        {"target_type": "token"},
        {"target_id": None},
        {"before": {}},
        {"after": {"role": "admin", "display_name": "Lan"}},
        {"origin": None},
        {"prev_hash": "1" * 64},
    ],
    ids=lambda change: next(iter(change)),
)
def test_every_field_is_covered_by_the_hash(change: dict[str, object]) -> None:
    assert entry_hash(_fields(**change)) != entry_hash(_fields())


def test_the_hash_is_sha256_of_the_previous_hash_and_the_encoding() -> None:
    fields = _fields(prev_hash="ab" * 32)
    expected = hashlib.sha256(("ab" * 32).encode() + canonical_bytes(fields)).hexdigest()
    assert entry_hash(fields) == expected


def test_non_finite_numbers_are_refused() -> None:
    with pytest.raises(ValueError, match="JSON"):
        encode_json({"x": float("nan")})


_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(st.dictionaries(st.text(), _json, max_size=6))
def test_encoding_survives_a_json_round_trip(value: dict[str, object]) -> None:
    # What the database hands back (json.loads of what was stored) encodes identically.
    assert encode_json(json.loads(json.dumps(value))) == encode_json(value)
    reordered = dict(reversed(list(value.items())))
    assert encode_json(reordered) == encode_json(value)
