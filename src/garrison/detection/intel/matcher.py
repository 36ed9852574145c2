"""Every field of every event checked against the loaded indicator lists.

Addresses, domains, URLs and hashes are looked up in sets; CIDR ranges are grouped by
prefix length, so an address costs one set lookup per distinct prefix length listed
(at most 33 for IPv4, 129 for IPv6) whatever the number of ranges.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from garrison.detection.intel.indicators import (
    HASH_LENGTHS,
    Indicator,
    IndicatorKind,
    normalise_url,
)

MAX_VALUE_CHARS = 2048
_HEX_CHARS = frozenset("0123456789abcdef")


@dataclass(frozen=True, slots=True)
class IntelHit:
    list_name: str
    indicator: Indicator
    field: str
    value: str


class IntelMatcher:
    """Lookup structures for all lists at once; rebuilt when a list changes."""

    def __init__(self, lists: Mapping[str, list[Indicator]]) -> None:
        self.addresses: dict[tuple[int, int], tuple[str, Indicator]] = {}
        self.networks: dict[tuple[int, int], dict[int, tuple[str, Indicator]]] = {}
        self.domains: dict[str, tuple[str, Indicator]] = {}
        self.urls: dict[str, tuple[str, Indicator]] = {}
        self.hashes: dict[str, tuple[str, Indicator]] = {}
        for name, indicators in lists.items():
            for indicator in indicators:
                self._add(name, indicator)
        self.prefixes: dict[int, list[int]] = {4: [], 6: []}
        for version, length in sorted(self.networks):
            self.prefixes[version].append(length)
        self.size = (
            len(self.addresses)
            + sum(len(group) for group in self.networks.values())
            + len(self.domains)
            + len(self.urls)
            + len(self.hashes)
        )

    def _add(self, name: str, indicator: Indicator) -> None:
        entry = (name, indicator)
        kind = indicator.kind
        if kind is IndicatorKind.ADDRESS:
            address = ipaddress.ip_address(indicator.value)
            self.addresses.setdefault((address.version, int(address)), entry)
        elif kind is IndicatorKind.NETWORK:
            network = ipaddress.ip_network(indicator.value)
            group = self.networks.setdefault((network.version, network.prefixlen), {})
            shift = network.max_prefixlen - network.prefixlen
            group.setdefault(int(network.network_address) >> shift, entry)
        elif kind is IndicatorKind.DOMAIN:
            self.domains.setdefault(indicator.value, entry)
        elif kind is IndicatorKind.URL:
            self.urls.setdefault(indicator.value, entry)
        else:
            self.hashes.setdefault(indicator.value, entry)

    def match(self, fields: Mapping[str, Any]) -> Iterator[IntelHit]:
        """Hits in this event's fields (each indicator at most once per event)."""
        if not self.size:
            return
        seen: set[str] = set()
        for name, value in fields.items():
            if isinstance(value, list | tuple):
                items: Any = value
            else:
                items = (value,)
            for item in items:
                if not isinstance(item, str) or not item or len(item) > MAX_VALUE_CHARS:
                    continue
                for entry in self._lookup(item):
                    list_name, indicator = entry
                    if indicator.value in seen:
                        continue
                    seen.add(indicator.value)
                    yield IntelHit(list_name, indicator, name, item)

    def _lookup(self, value: str) -> Iterator[tuple[str, Indicator]]:
        text = value.strip()
        first = text[:1]
        if (first.isdigit() or ":" in text) and len(text) <= 45:
            yield from self._address(text)
        lowered = text.lower()
        if self.hashes:
            yield from self._hashes(lowered)
        if self.urls and ("://" in lowered or lowered.startswith("/")):
            found = self.urls.get(normalise_url(lowered))
            if found is not None:
                yield found
        if self.domains and "." in lowered and " " not in lowered:
            yield from self._domain(_host_of(lowered))

    def _address(self, text: str) -> Iterator[tuple[str, Indicator]]:
        try:
            address = ipaddress.ip_address(text.strip("[]"))
        except ValueError:
            return
        version, number = address.version, int(address)
        exact = self.addresses.get((version, number))
        if exact is not None:
            yield exact
            return
        width = 32 if version == 4 else 128
        for length in self.prefixes[version]:
            found = self.networks[(version, length)].get(number >> (width - length))
            if found is not None:
                yield found
                return

    def _hashes(self, lowered: str) -> Iterator[tuple[str, Indicator]]:
        if len(lowered) in HASH_LENGTHS and _HEX_CHARS.issuperset(lowered):
            found = self.hashes.get(lowered)
            if found is not None:
                yield found
            return
        if "=" in lowered:
            # Sysmon's Hashes field: "SHA256=…,MD5=…,IMPHASH=…".
            for part in lowered.replace(";", ",").split(","):
                candidate = part.partition("=")[2].strip()
                found = self.hashes.get(candidate) if candidate else None
                if found is not None:
                    yield found

    def _domain(self, host: str) -> Iterator[tuple[str, Indicator]]:
        labels = host.rstrip(".").split(".")
        for start in range(len(labels) - 1):
            found = self.domains.get(".".join(labels[start:]))
            if found is not None:
                yield found
                return


def _host_of(value: str) -> str:
    """The host part of a URL-ish value, or the value itself."""
    text = value
    if "://" in text:
        text = text.split("://", 1)[1]
    text = text.split("/", 1)[0].split("?", 1)[0]
    if "@" in text:
        text = text.rsplit("@", 1)[1]
    if text.count(":") == 1:
        text = text.split(":", 1)[0]
    return text
