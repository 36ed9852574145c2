"""Domain events: small immutable records that cross the bus as JSON.

Each event class names its topic (``garrison.<domain>.<what happened>``) and is
registered by that topic so any bus implementation can rebuild it from a payload.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from typing import Any, ClassVar, Self, TypeVar

_REGISTRY: dict[str, type[DomainEvent]] = {}

E = TypeVar("E", bound="DomainEvent")


@dataclasses.dataclass(frozen=True, kw_only=True)
class DomainEvent:
    topic: ClassVar[str] = ""
    occurred_at: datetime

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        topic = cls.__dict__.get("topic")
        if topic:
            # dataclass(slots=True) re-creates the class: the same name may register twice.
            known = _REGISTRY.get(topic)
            if known is not None and (known.__module__, known.__name__) != (
                cls.__module__,
                cls.__name__,
            ):
                raise TypeError(f"topic {topic!r} is already used by {_REGISTRY[topic]!r}")
            _REGISTRY[topic] = cls

    def to_json(self) -> bytes:
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        return json.dumps({"topic": self.topic, "data": fields}, default=_encode).encode()

    @classmethod
    def from_fields(cls, data: dict[str, Any]) -> Self:
        converted: dict[str, Any] = {}
        for field in dataclasses.fields(cls):
            if field.name not in data:
                continue
            value = data[field.name]
            if isinstance(value, str) and _is_datetime_field(field):
                value = datetime.fromisoformat(value)
            converted[field.name] = value
        return cls(**converted)


def _is_datetime_field(field: dataclasses.Field[Any]) -> bool:
    annotation = field.type if isinstance(field.type, str) else getattr(field.type, "__name__", "")
    return "datetime" in str(annotation)


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple | frozenset | set):
        return list(value)
    raise TypeError(f"cannot put {type(value).__name__} on the bus")


def decode_event(raw: bytes) -> DomainEvent:
    envelope = json.loads(raw)
    event_type = _REGISTRY.get(envelope["topic"])
    if event_type is None:
        raise LookupError(f"no event type is registered for topic {envelope['topic']!r}")
    return event_type.from_fields(envelope["data"])


def registered_topics() -> dict[str, type[DomainEvent]]:
    return dict(_REGISTRY)
