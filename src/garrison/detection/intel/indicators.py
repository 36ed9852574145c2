"""Indicator files (plain text or CSV) read into typed indicators.

Plain text: one indicator per line, ``#`` starts a comment, anything after the first
blank or comma is ignored. CSV: the configured column, else a column named
``indicator``/``value``/``ioc``, else the first. Each value is classified as an IP
address, a CIDR range, a URL, a domain (``*.example.org`` means the domain and below) or
a file hash (MD5, SHA-1, SHA-256, SHA-512); anything else is counted as invalid.
"""

from __future__ import annotations

import csv
import io
import ipaddress
import re
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_INDICATORS = 2_000_000
MAX_LINE_CHARS = 4096
HASH_LENGTHS = frozenset({32, 40, 64, 128})
CSV_COLUMNS = ("indicator", "value", "ioc", "ip", "domain", "url", "hash")

_HEX = re.compile(r"^[0-9a-f]+$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")


class IndicatorKind(StrEnum):
    ADDRESS = "ip"
    NETWORK = "cidr"
    DOMAIN = "domain"
    URL = "url"
    HASH = "hash"


class IndicatorFileError(ValueError):
    """The file cannot be used (unreadable, too large): the previous version stays in force."""


@dataclass(frozen=True, slots=True)
class Indicator:
    kind: IndicatorKind
    value: str  # normalised: lowered, no trailing dot or slash


@dataclass(slots=True)
class IndicatorFile:
    indicators: list[Indicator] = field(default_factory=list)
    invalid: int = 0
    truncated: bool = False


def read_indicator_file(
    path: Path, *, file_format: str = "auto", column: str | None = None
) -> IndicatorFile:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise IndicatorFileError(f"{path} is larger than {MAX_FILE_BYTES} bytes")
        text = path.read_text(encoding="utf-8-sig", errors="replace")
    except OSError as exc:
        raise IndicatorFileError(f"cannot read {path}: {exc}") from exc
    use_csv = file_format == "csv" or (file_format == "auto" and path.suffix.lower() == ".csv")
    values = _csv_values(text, column) if use_csv else _text_values(text)
    result = IndicatorFile()
    for value in values:
        if len(result.indicators) >= MAX_INDICATORS:
            result.truncated = True
            break
        indicator = classify(value)
        if indicator is None:
            result.invalid += 1
        else:
            result.indicators.append(indicator)
    return result


def _text_values(text: str) -> list[str]:
    values: list[str] = []
    for line in text.splitlines():
        content = line[:MAX_LINE_CHARS].split("#", 1)[0].strip()
        if content:
            values.append(re.split(r"[\s,;]", content, maxsplit=1)[0])
    return values


def _csv_values(text: str, column: str | None) -> list[str]:
    rows = list(csv.reader(io.StringIO(text)))
    rows = [row for row in rows if row and not row[0].lstrip().startswith("#")]
    if not rows:
        return []
    header = [cell.strip().lower() for cell in rows[0]]
    index = 0
    has_header = classify(rows[0][0]) is None
    if column is not None:
        if column.lower() not in header:
            raise IndicatorFileError(f"the CSV file has no column {column!r}")
        index = header.index(column.lower())
    elif has_header:
        index = next((header.index(name) for name in CSV_COLUMNS if name in header), 0)
    body = rows[1:] if has_header or column is not None else rows
    return [
        row[index][:MAX_LINE_CHARS].strip()
        for row in body
        if len(row) > index and row[index].strip()
    ]


def classify(raw: str) -> Indicator | None:
    value = raw.strip().strip("'\"").lower()
    if not value:
        return None
    if "://" in value:
        return Indicator(IndicatorKind.URL, normalise_url(value))
    if "/" in value:
        try:
            network = ipaddress.ip_network(value, strict=False)
        except ValueError:
            return None
        if network.prefixlen == network.max_prefixlen:
            return Indicator(IndicatorKind.ADDRESS, str(network.network_address))
        return Indicator(IndicatorKind.NETWORK, str(network))
    try:
        return Indicator(IndicatorKind.ADDRESS, str(ipaddress.ip_address(value)))
    except ValueError:
        pass
    if len(value) in HASH_LENGTHS and _HEX.match(value):
        return Indicator(IndicatorKind.HASH, value)
    domain = value.removeprefix("*.").rstrip(".")
    if _DOMAIN.match(domain):
        return Indicator(IndicatorKind.DOMAIN, domain)
    return None


def normalise_url(value: str) -> str:
    """Lowered, without scheme and trailing slash: ``HTTP://Evil.test/x/`` → ``evil.test/x``."""
    text = value.strip().lower()
    scheme, separator, rest = text.partition("://")
    if separator and scheme.isalpha():
        text = rest
    return text.rstrip("/")
