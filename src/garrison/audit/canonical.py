"""The canonical encoding of an audit entry and the hash that chains entries together.

The encoding is deterministic JSON (sorted keys, no whitespace, UTF-8, times as
ISO-8601 UTC with microseconds) of every recorded field except the hash itself;
an entry's hash is ``sha256(prev_hash + encoding)`` in hex. The row id is left
out on purpose: the database assigns it, and a dump restored elsewhere may
number rows differently while the chain stays valid.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS_HASH = "0" * 64


@dataclass(frozen=True, slots=True)
class HashedFields:
    """What an entry's hash covers."""

    seq: int
    occurred_at: datetime
    actor_kind: str
    actor_id: str | None
    actor_name: str
    action: str
    target_type: str
    target_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    origin: dict[str, Any] | None
    prev_hash: str


def encode_json(value: Any) -> bytes:
    """Deterministic JSON: the same value always gives the same bytes."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def format_timestamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("naive datetime given where UTC is required")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def canonical_bytes(fields: HashedFields) -> bytes:
    return encode_json(
        {
            "seq": fields.seq,
            "occurred_at": format_timestamp(fields.occurred_at),
            "actor_kind": fields.actor_kind,
            "actor_id": fields.actor_id,
            "actor_name": fields.actor_name,
            "action": fields.action,
            "target_type": fields.target_type,
            "target_id": fields.target_id,
            "before": fields.before,
            "after": fields.after,
            "origin": fields.origin,
            "prev_hash": fields.prev_hash,
        }
    )


def entry_hash(fields: HashedFields) -> str:
    digest = hashlib.sha256(fields.prev_hash.encode("utf-8"))
    digest.update(canonical_bytes(fields))
    return digest.hexdigest()
