"""What every detector offers the engine, and the bounded map they keep their state in."""

from __future__ import annotations

import collections
from typing import Generic, Protocol, TypeVar

from garrison.detection.findings import GARRISON_AUTHOR, GARRISON_LICENSE, Finding, RuleInfo
from garrison.detection.records import LogEvent

K = TypeVar("K")
V = TypeVar("V")


class Detector(Protocol):
    name: str

    def evaluate(self, event: LogEvent, *, seq: int) -> list[Finding]: ...


def detector_rule(
    rule_id: str, title: str, *, level: str, category: str, description: str
) -> RuleInfo:
    return RuleInfo(
        id=rule_id,
        title=title,
        level=level,
        author=GARRISON_AUTHOR,
        license=GARRISON_LICENSE,
        category=category,
        description=description,
        path="garrison.detection.detectors",
    )


class BoundedState(Generic[K, V]):
    """A map that forgets the entry touched longest ago once it holds ``capacity`` entries."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._items: collections.OrderedDict[K, V] = collections.OrderedDict()
        self.evicted = 0

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: K) -> V | None:
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)
            self.evicted += 1
