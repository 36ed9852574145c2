"""Content integrity (defacement): pages served on 127.0.0.1 compared with a baseline."""

from __future__ import annotations

import unicodedata
from dataclasses import replace
from typing import Any

from garrison.config.checks import ContentCheck
from garrison.probes.results import CheckResult, RunContext
from garrison.probes.runners import (
    PageSnapshot,
    baseline_from_json,
    baseline_from_page,
    baseline_to_json,
    compare_with_baseline,
    extract_page,
    run_check,
)
from garrison.probes.runners._content_diff import change_ratio
from tests.probes.runners.servers import HttpSite, http_answer

ARTICLE = " ".join(f"word{number}" for number in range(200))


def page(body: str, head: str = "") -> bytes:
    html = (
        "<!doctype html><html><head><title>Summit news</title>"
        '<script src="/static/app.js"></script><style>body { color: red }</style>'
        f"{head}</head><body><h1>Welcome to the summit</h1><p>{body}</p>"
        '<script>var note = "hacked by nobody";</script>'
        '<a href="https://partner.example/about">Partner</a>'
        '<iframe src="https://maps.example/embed?x=1"></iframe>'
        "</body></html>"
    )
    return http_answer(200, html.encode(), headers={"Content-Type": "text/html; charset=utf-8"})


def content_check(port: int, **fields: Any) -> ContentCheck:
    return ContentCheck.model_validate(
        {"id": "site", "type": "content", "url": f"http://127.0.0.1:{port}/", **fields}
    )


async def first_run(port: int, run_context: RunContext, **fields: Any) -> CheckResult:
    return await run_check(content_check(port, **fields), run=run_context)


async def approved_run(port: int, run_context: RunContext, **fields: Any) -> RunContext:
    """The run context after an operator approved the page as it is now."""
    result = await first_run(port, run_context, **fields)
    snapshot = PageSnapshot.from_json(result.details["snapshot"])
    return replace(run_context, baseline=baseline_from_page(snapshot))


def test_extract_page_keeps_visible_text_and_origins() -> None:
    html = page(ARTICLE).split(b"\r\n\r\n", 1)[1].decode()
    snapshot = extract_page(html, "https://www.event.test/news/")
    assert snapshot.text.splitlines()[:2] == ["Summit news", "Welcome to the summit"]
    assert "color" not in snapshot.text
    assert "hacked" not in snapshot.text
    assert snapshot.script_origins == {"https://www.event.test"}
    assert snapshot.iframe_origins == {"https://maps.example"}
    assert snapshot.link_origins == {"https://partner.example"}
    assert snapshot.origin == "https://www.event.test"


def test_change_ratio_counts_changed_words() -> None:
    words = ARTICLE.split()
    one_word = " ".join(["changed", *words[1:]])
    assert change_ratio(ARTICLE, ARTICLE) == 0
    assert abs(change_ratio(ARTICLE, one_word) - 1 / 200) < 1e-9
    assert change_ratio(ARTICLE, "something else entirely") == 1
    assert abs(change_ratio(ARTICLE, ARTICLE + "\n" + ARTICLE) - 0.5) < 1e-9
    assert change_ratio("", "") == 0


def test_a_baseline_round_trips_through_json() -> None:
    snapshot = extract_page(
        "<p>hi</p><script src='https://cdn.example/x.js'></script>", "http://a/"
    )
    baseline = baseline_from_page(snapshot)
    assert baseline_from_json(baseline_to_json(baseline)) == baseline


async def test_without_a_baseline_the_run_passes_and_carries_the_snapshot(
    site: HttpSite, http_port: int, run_context: RunContext
) -> None:
    site.pages["/"] = page(ARTICLE)
    result = await first_run(http_port, run_context)
    assert result.ok, result.reason
    assert result.details["baseline_needed"] is True
    snapshot = result.details["snapshot"]
    assert snapshot["text"].startswith("Summit news\nWelcome to the summit\nword0 word1")
    assert snapshot["script_origins"] == [f"http://127.0.0.1:{http_port}"]


async def test_a_small_change_passes_and_a_big_one_fails_with_a_diff(
    site: HttpSite, http_port: int, run_context: RunContext
) -> None:
    site.pages["/"] = page(ARTICLE)
    approved = await approved_run(http_port, run_context)
    site.pages["/"] = page(ARTICLE.replace("word7 ", "updated "))
    small = await first_run(http_port, approved)
    assert small.ok, small.reason
    assert 0 < small.details["change_ratio"] < 0.01
    assert "-word0 word1" in small.details["diff"] or "+word0" in small.details["diff"]
    site.pages["/"] = page("Completely different content now. " * 10)
    big = await first_run(http_port, approved)
    assert not big.ok
    assert big.reason.startswith("9")
    assert "of the page's text changed (limit 30%)" in big.reason
    assert "snapshot" in big.details
    assert big.details["diff"].startswith("--- baseline\n+++ current")


async def test_forbidden_phrases_in_english_and_vietnamese(
    site: HttpSite, http_port: int, run_context: RunContext
) -> None:
    site.pages["/"] = page(ARTICLE)
    approved = await approved_run(http_port, run_context)
    site.pages["/"] = page(ARTICLE + " HACKED BY team X")
    english = await first_run(http_port, approved)
    assert not english.ok
    assert english.reason == "the page contains forbidden text: 'hacked by'"
    decomposed = unicodedata.normalize("NFD", "Trang này ĐÃ BỊ TẤN CÔNG")
    assert decomposed != unicodedata.normalize("NFC", decomposed)
    site.pages["/"] = page(ARTICLE + " " + decomposed)
    vietnamese = await first_run(http_port, approved)
    assert not vietnamese.ok
    assert vietnamese.reason == "the page contains forbidden text: 'đã bị tấn công'"
    site.pages["/"] = page(ARTICLE + " trang web bi hack")
    unaccented = await first_run(http_port, approved)
    assert unaccented.reason == "the page contains forbidden text: 'bị hack'"


async def test_a_forbidden_phrase_fails_even_without_a_baseline(
    site: HttpSite, http_port: int, run_context: RunContext
) -> None:
    site.pages["/"] = page("Defaced by someone")
    result = await first_run(http_port, run_context, forbidden_phrases=["defaced by"])
    assert not result.ok
    assert result.details["baseline_needed"] is True


async def test_a_new_external_script_origin_fails_unless_allowed(
    site: HttpSite, http_port: int, run_context: RunContext
) -> None:
    site.pages["/"] = page(ARTICLE)
    approved = await approved_run(http_port, run_context)
    site.pages["/"] = page(ARTICLE, head='<script src="//evil.example:8443/miner.js"></script>')
    result = await first_run(http_port, approved)
    assert not result.ok
    assert result.reason == "scripts load from new origins: http://evil.example:8443"
    assert result.details["new_script_origins"] == ["http://evil.example:8443"]
    allowed = await first_run(http_port, approved, allowed_origins=["http://evil.example:8443/"])
    assert allowed.ok, allowed.reason
    site.pages["/"] = page(ARTICLE, head='<script src="/static/other.js"></script>')
    same_origin = await first_run(http_port, approved)
    assert same_origin.ok, same_origin.reason


async def test_a_new_iframe_origin_fails(
    site: HttpSite, http_port: int, run_context: RunContext
) -> None:
    site.pages["/"] = page(ARTICLE)
    approved = await approved_run(http_port, run_context)
    site.pages["/"] = page(ARTICLE + '<iframe src="https://phish.example/login"></iframe>')
    result = await first_run(http_port, approved)
    assert result.reason == "frames load from new origins: https://phish.example"


async def test_an_error_page_fails(site: HttpSite, http_port: int, run_context: RunContext) -> None:
    site.pages["/"] = http_answer(503, b"maintenance")
    result = await first_run(http_port, run_context)
    assert result.reason == "the page answered status 503"


def test_the_diff_is_bounded() -> None:
    before = "\n".join(f"line {number} " + "x" * 80 for number in range(2_000))
    after = "\n".join(f"other {number} " + "y" * 80 for number in range(2_000))
    snapshot = extract_page(after.replace("\n", "<br>"), "http://a/")
    comparison = compare_with_baseline(
        snapshot,
        baseline_from_page(extract_page(before.replace("\n", "<br>"), "http://a/")),
        change_threshold=0.3,
        forbidden_phrases=(),
    )
    assert comparison.diff_truncated
    assert len(comparison.diff) <= 20 * 1024
    assert abs(comparison.change_ratio - 2 / 3) < 0.01  # the line numbers stayed


def test_extraction_is_bounded() -> None:
    html = "<p>" + "word " * 200_000 + "</p>" + '<script src="https://x.example/a.js"></script>' * 5
    snapshot = extract_page(html, "http://a/")
    assert snapshot.truncated
    assert len(snapshot.text) <= 200_000
