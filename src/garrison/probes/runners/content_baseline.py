"""A page's visible text and structure, and how it compares with its approved baseline.

Used by the content (defacement) check, and by the engine when an operator approves
a page as the baseline (:func:`baseline_from_page`). Extraction uses the standard
library's HTML parser with bounded work: at most 4 M characters of HTML, 200,000
characters of text and 1,000 origins of each kind are looked at.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

from garrison.i18n import gettext as _
from garrison.probes.results import ContentBaseline
from garrison.probes.runners._content_diff import bounded_diff, change_ratio, phrases_found

MAX_HTML_CHARS = 4_000_000
MAX_TEXT_CHARS = 200_000
MAX_ORIGINS = 1_000
_FEED_CHUNK = 65_536
_HIDDEN = frozenset({"script", "style", "template", "noscript"})
_BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt",
        "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
        "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table",
        "td", "th", "title", "tr", "ul",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class PageSnapshot:
    """What a page shows: text (one line per block, single spaces) and where it loads from."""

    url: str
    origin: str
    text: str
    script_origins: frozenset[str]
    iframe_origins: frozenset[str]
    link_origins: frozenset[str]
    truncated: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "origin": self.origin,
            "text": self.text,
            "script_origins": sorted(self.script_origins),
            "iframe_origins": sorted(self.iframe_origins),
            "link_origins": sorted(self.link_origins),
            "truncated": self.truncated,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PageSnapshot:
        return cls(
            url=str(data["url"]),
            origin=str(data["origin"]),
            text=str(data["text"]),
            script_origins=frozenset(data.get("script_origins", ())),
            iframe_origins=frozenset(data.get("iframe_origins", ())),
            link_origins=frozenset(data.get("link_origins", ())),
            truncated=bool(data.get("truncated", False)),
        )


def origin_of(url: str, base_url: str | None = None) -> str | None:
    """``scheme://host[:port]`` of an http(s) URL (relative to ``base_url``), else None."""
    try:
        parts = urlsplit(urljoin(base_url, url.strip()) if base_url else url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    default = 443 if parts.scheme == "https" else 80
    return (
        f"{parts.scheme}://{host}" if port in (None, default) else f"{parts.scheme}://{host}:{port}"
    )


class _PageParser(HTMLParser):
    def __init__(self, base_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base_url = base_url
        self.hidden_depth = 0
        self.in_title = False
        self.lines: list[list[str]] = [[]]
        self.text_chars = 0
        self.truncated = False
        self.scripts: set[str] = set()
        self.iframes: set[str] = set()
        self.links: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden_depth += 1
        if tag == "title":
            self.in_title = True
        if tag in _BLOCKS:
            self._break_line()
        if tag == "script":
            self._note(self.scripts, attrs, "src")
        elif tag in ("iframe", "frame"):
            self._note(self.iframes, attrs, "src")
        elif tag in ("a", "link", "area"):
            self._note(self.links, attrs, "href")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # A self-closed element (<br/>, <script src=x />) opens nothing that needs closing.
        self.handle_starttag(tag, attrs)
        if tag in _HIDDEN:
            self.hidden_depth -= 1
        if tag == "title":
            self.in_title = False

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN and self.hidden_depth > 0:
            self.hidden_depth -= 1
        if tag == "title":
            self.in_title = False
        if tag in _BLOCKS:
            self._break_line()

    def handle_data(self, data: str) -> None:
        if (self.hidden_depth and not self.in_title) or self.truncated:
            return
        words = data.split()
        if not words:
            return
        self.text_chars += sum(len(word) + 1 for word in words)
        if self.text_chars > MAX_TEXT_CHARS:
            self.truncated = True
            return
        self.lines[-1].extend(words)

    def _break_line(self) -> None:
        if self.lines[-1]:
            self.lines.append([])

    def _note(self, into: set[str], attrs: list[tuple[str, str | None]], name: str) -> None:
        if len(into) >= MAX_ORIGINS:
            self.truncated = True
            return
        for key, value in attrs:
            if key == name and value:
                origin = origin_of(value, self.base_url)
                if origin is not None:
                    into.add(origin)

    def text(self) -> str:
        joined = "\n".join(" ".join(words) for words in self.lines if words)
        return unicodedata.normalize("NFC", joined)


def extract_page(html: str, base_url: str) -> PageSnapshot:
    """Visible text (no script, style or template) and script/iframe/link origins of a page."""
    parser = _PageParser(base_url)
    truncated = len(html) > MAX_HTML_CHARS
    bounded = html[:MAX_HTML_CHARS]
    for start in range(0, len(bounded), _FEED_CHUNK):
        parser.feed(bounded[start : start + _FEED_CHUNK])
        if parser.truncated:
            break
    parser.close()
    return PageSnapshot(
        url=base_url,
        origin=origin_of(base_url) or "",
        text=parser.text(),
        script_origins=frozenset(parser.scripts),
        iframe_origins=frozenset(parser.iframes),
        link_origins=frozenset(parser.links),
        truncated=truncated or parser.truncated,
    )


def baseline_from_page(page: PageSnapshot) -> ContentBaseline:
    """The approved state of a page, as an operator accepts it."""
    return ContentBaseline(
        text=page.text,
        script_origins=page.script_origins,
        iframe_origins=page.iframe_origins,
        link_origins=page.link_origins,
    )


def baseline_to_json(baseline: ContentBaseline) -> dict[str, Any]:
    return {
        "text": baseline.text,
        "script_origins": sorted(baseline.script_origins),
        "iframe_origins": sorted(baseline.iframe_origins),
        "link_origins": sorted(baseline.link_origins),
    }


def baseline_from_json(data: dict[str, Any]) -> ContentBaseline:
    return ContentBaseline(
        text=str(data["text"]),
        script_origins=frozenset(data.get("script_origins", ())),
        iframe_origins=frozenset(data.get("iframe_origins", ())),
        link_origins=frozenset(data.get("link_origins", ())),
    )


def normalised_origins(origins: Iterable[str]) -> frozenset[str]:
    return frozenset(
        origin for origin in (origin_of(value) for value in origins) if origin is not None
    )


@dataclass(frozen=True, slots=True)
class ContentComparison:
    """How a page differs from its baseline; ``problems`` in plain words (empty: it passes)."""

    change_ratio: float
    forbidden_phrases: tuple[str, ...]
    new_script_origins: tuple[str, ...]
    new_iframe_origins: tuple[str, ...]
    new_link_origins: tuple[str, ...]
    diff: str
    diff_truncated: bool
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    def evidence(self) -> dict[str, Any]:
        return {
            "change_ratio": round(self.change_ratio, 4),
            "forbidden_phrases": list(self.forbidden_phrases),
            "new_script_origins": list(self.new_script_origins),
            "new_iframe_origins": list(self.new_iframe_origins),
            "new_link_origins": list(self.new_link_origins[:50]),
            "diff": self.diff,
            "diff_truncated": self.diff_truncated,
        }


def compare_with_baseline(
    page: PageSnapshot,
    baseline: ContentBaseline,
    *,
    change_threshold: float,
    forbidden_phrases: tuple[str, ...],
    allowed_origins: Iterable[str] = (),
) -> ContentComparison:
    """Judge ``page`` against ``baseline``: text change, forbidden phrases, new origins.

    A script or iframe origin is new when it is neither in the baseline, nor in
    ``allowed_origins``, nor the page's own origin.
    """
    ratio = change_ratio(baseline.text, page.text)
    found = tuple(phrases_found(page.text, forbidden_phrases))
    known = normalised_origins(allowed_origins) | {page.origin}
    new_scripts = tuple(sorted(page.script_origins - baseline.script_origins - known))
    new_iframes = tuple(sorted(page.iframe_origins - baseline.iframe_origins - known))
    new_links = tuple(sorted(page.link_origins - baseline.link_origins - known))
    diff, diff_truncated = bounded_diff(baseline.text, page.text)
    problems: list[str] = []
    if ratio > change_threshold:
        problems.append(
            _("{changed:.0%} of the page's text changed (limit {limit:.0%})").format(
                changed=ratio, limit=change_threshold
            )
        )
    problems.extend(forbidden_phrase_problems(found))
    if new_scripts:
        problems.append(
            _("scripts load from new origins: {origins}").format(origins=", ".join(new_scripts))
        )
    if new_iframes:
        problems.append(
            _("frames load from new origins: {origins}").format(origins=", ".join(new_iframes))
        )
    return ContentComparison(
        change_ratio=ratio,
        forbidden_phrases=found,
        new_script_origins=new_scripts,
        new_iframe_origins=new_iframes,
        new_link_origins=new_links,
        diff=diff,
        diff_truncated=diff_truncated,
        problems=tuple(problems),
    )


def forbidden_phrase_problems(found: Iterable[str]) -> list[str]:
    phrases = list(found)
    if not phrases:
        return []
    return [
        _("the page contains forbidden text: {phrases}").format(
            phrases=", ".join(repr(phrase) for phrase in phrases)
        )
    ]
