"""Bodies of the bulk ingest endpoint: gzip, JSON arrays, NDJSON, concatenated objects, text.

The shapes Vector's and Fluent Bit's HTTP sinks send: a JSON array of objects, one
object, newline-delimited objects (``json_lines``), objects one after another
(``json_stream``), or plain text lines. Every limit is enforced before the memory is
spent: the decompressed size while inflating, the number of documents while splitting.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from garrison.i18n import gettext as _

_DECODER = json.JSONDecoder()
_WHITESPACE = " \t\r\n"


class PayloadRejected(ValueError):
    """The whole body is refused; ``reason`` is the metric label, the message says why."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Malformed:
    """One piece of the body that is not a JSON document; the others still count."""

    position: int
    message: str


def decompress(body: bytes, *, encoding: str, max_bytes: int) -> bytes:
    """The body without its ``Content-Encoding`` (identity or gzip), at most ``max_bytes``."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        if len(body) > max_bytes:
            raise PayloadRejected("too_large", _("The body is larger than the limit."))
        return body
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise PayloadRejected(
            "unsupported_encoding",
            _("Content-Encoding {encoding} is not supported; use gzip.").format(
                encoding=encoding[:32]
            ),
        )
    inflater = zlib.decompressobj(47)  # 32 + 15: a gzip or zlib header, detected
    try:
        data = inflater.decompress(body, max_bytes + 1)
    except zlib.error as exc:
        raise PayloadRejected(
            "bad_compression", _("The body is not valid {encoding}.").format(encoding=encoding)
        ) from exc
    if len(data) > max_bytes or inflater.unconsumed_tail:
        raise PayloadRejected(
            "decompression_limit",
            _("The body unpacks to more than {limit} bytes.").format(limit=max_bytes),
        )
    if not inflater.eof:
        raise PayloadRejected(
            "bad_compression", _("The body is not valid {encoding}.").format(encoding=encoding)
        )
    return data


def split_documents(text: str, *, max_documents: int) -> Iterator[Any | Malformed]:
    """The JSON values of ``text``: an array's items, or values one after another."""
    start = _skip_space(text, 0)
    if start < len(text) and text[start] == "[":
        try:
            value = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise PayloadRejected("malformed", _("The body is not a valid JSON array.")) from exc
        items = value if isinstance(value, list) else [value]
        if len(items) > max_documents:
            raise _too_many(max_documents)
        yield from items
        return
    count = 0
    position = start
    while position < len(text):
        count += 1
        if count > max_documents:
            raise _too_many(max_documents)
        try:
            value, end = _DECODER.raw_decode(text, position)
        except (ValueError, RecursionError):
            line_end = text.find("\n", position)
            line_end = len(text) if line_end < 0 else line_end
            yield Malformed(position, _("not a JSON document"))
            position = _skip_space(text, line_end)
            continue
        yield value
        position = _skip_space(text, end)


def split_lines(text: str, *, max_documents: int) -> Iterator[str]:
    count = 0
    for line in text.splitlines():
        if not line.strip():
            continue
        count += 1
        if count > max_documents:
            raise _too_many(max_documents)
        yield line


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in _WHITESPACE:
        position += 1
    return position


def _too_many(limit: int) -> PayloadRejected:
    return PayloadRejected(
        "too_many_events",
        _("The body holds more than {limit} events; send smaller batches.").format(limit=limit),
    )
