"""HTTP(S) checks against real servers on 127.0.0.1."""

from __future__ import annotations

import tracemalloc
from typing import Any

import pytest
import trustme

from garrison.config.checks import HttpCheck
from garrison.probes.results import CheckResult, RunContext
from garrison.probes.runners import run_check
from tests.probes.runners.conftest import server_context
from tests.probes.runners.servers import HttpSite, closed_port, silent, tcp_server


def http_check(url: str, **fields: Any) -> HttpCheck:
    return HttpCheck.model_validate({"id": "web", "type": "http", "url": url, **fields})


async def run_http(url: str, run_context: RunContext, **fields: Any) -> CheckResult:
    return await run_check(http_check(url, **fields), run=run_context)


async def test_a_page_that_answers_200_passes_with_phases(
    http_port: int, run_context: RunContext
) -> None:
    result = await run_http(f"http://127.0.0.1:{http_port}/ok", run_context)
    assert result.ok, result.reason
    assert result.reason == ""
    assert result.details["status"] == 200
    assert result.details["headers"]["content-type"] == "text/plain"
    assert set(result.phases) == {"connect", "first_byte", "total"}  # an IP literal: no dns
    assert result.latency_ms is not None
    assert result.latency_ms > 0
    assert result.location == "local"
    assert result.started_at == run_context.started_at


async def test_a_host_name_is_resolved_in_a_dns_phase(
    http_port: int, run_context: RunContext
) -> None:
    result = await run_http(f"http://localhost:{http_port}/ok", run_context)
    assert result.ok, result.reason
    assert "dns" in result.phases


async def test_an_unexpected_status_fails_naming_both(
    http_port: int, run_context: RunContext
) -> None:
    result = await run_http(f"http://127.0.0.1:{http_port}/fail", run_context)
    assert not result.ok
    assert result.reason == "status 500, expected 200"
    accepted = await run_http(
        f"http://127.0.0.1:{http_port}/fail", run_context, expect_status=[200, 500]
    )
    assert accepted.ok


async def test_redirects_are_judged_or_followed(http_port: int, run_context: RunContext) -> None:
    base = f"http://127.0.0.1:{http_port}"
    not_followed = await run_http(f"{base}/redirect", run_context)
    assert not not_followed.ok
    assert not_followed.details["headers"]["location"] == "/ok"
    followed = await run_http(f"{base}/redirect", run_context, follow_redirects=True)
    assert followed.ok, followed.reason
    assert followed.details["redirects"] == [f"{base}/ok"]
    assert followed.details["url"] == f"{base}/ok"


async def test_a_redirect_loop_stops_after_five(
    http_port: int, site: HttpSite, run_context: RunContext
) -> None:
    result = await run_http(
        f"http://127.0.0.1:{http_port}/loop", run_context, follow_redirects=True
    )
    assert not result.ok
    assert result.reason.startswith("more than 5 redirects")
    assert len(site.seen) == 6


async def test_body_text_and_regex(http_port: int, run_context: RunContext) -> None:
    url = f"http://127.0.0.1:{http_port}/ok"
    assert (await run_http(url, run_context, body_contains=["hello"], body_regex=r"w.rld$")).ok
    result = await run_http(url, run_context, body_contains=["goodbye"], body_regex=r"^bye")
    assert not result.ok
    assert result.reason == "the body does not contain 'goodbye'; the body does not match '^bye'"


async def test_an_invalid_body_regex_is_named(http_port: int, run_context: RunContext) -> None:
    result = await run_http(f"http://127.0.0.1:{http_port}/ok", run_context, body_regex="(")
    assert not result.ok
    assert result.reason.startswith("body_regex is not a valid regular expression")


async def test_the_body_is_decoded_with_its_charset(
    http_port: int, run_context: RunContext
) -> None:
    url = f"http://127.0.0.1:{http_port}/vietnamese"
    assert (await run_http(url, run_context, body_contains=["báo chí"])).ok


async def test_json_paths_with_list_indexes(http_port: int, run_context: RunContext) -> None:
    url = f"http://127.0.0.1:{http_port}/json"
    passing = await run_http(
        url,
        run_context,
        json_path_equals={
            "status": "ok",
            "count": 2,
            "healthy": True,
            "items.1.name": "beta",
            "items[0].name": "alpha",
        },
    )
    assert passing.ok, passing.reason
    failing = await run_http(
        url,
        run_context,
        json_path_equals={"status": "down", "items.5.name": "x", "count": True},
    )
    assert not failing.ok
    assert failing.reason == (
        'JSON path status is "ok", expected "down"; JSON path items.5.name is missing; '
        "JSON path count is 2, expected true"
    )
    not_json = await run_http(
        f"http://127.0.0.1:{http_port}/ok", run_context, json_path_equals={"a": 1}
    )
    assert not_json.reason == "the body is not JSON"
    loose = await run_http(
        f"http://127.0.0.1:{http_port}/loose-json",
        run_context,
        json_path_equals={"serial": 123456789012345678901234567890},
    )
    assert loose.ok, loose.reason


async def test_header_values(http_port: int, run_context: RunContext) -> None:
    url = f"http://127.0.0.1:{http_port}/headers"
    assert (await run_http(url, run_context, header_equals={"X-Service": "garrison"})).ok
    result = await run_http(url, run_context, header_equals={"x-zone": "b", "X-Missing": "1"})
    assert not result.ok
    assert result.reason == (
        "header x-zone is 'a', expected 'b'; header X-Missing is None, expected '1'"
    )


async def test_latency_limit(http_port: int, run_context: RunContext) -> None:
    url = f"http://127.0.0.1:{http_port}/ok"
    assert (await run_http(url, run_context, max_latency_ms=5_000)).ok
    result = await run_http(url, run_context, max_latency_ms=0.001)
    assert not result.ok
    assert "the limit is 0.001 ms" in result.reason


async def test_method_headers_and_body_are_sent(
    http_port: int, site: HttpSite, run_context: RunContext
) -> None:
    result = await run_http(
        f"http://127.0.0.1:{http_port}/echo",
        run_context,
        method="POST",
        headers={"X-Probe": "garrison"},
        body="ping",
        body_contains=["POST garrison ping"],
    )
    assert result.ok, result.reason
    request = site.seen[-1]
    assert request.headers["connection"] == "close"
    assert request.headers["host"] == f"127.0.0.1:{http_port}"
    assert request.body == b"ping"


async def test_a_host_header_of_the_check_wins(
    http_port: int, site: HttpSite, run_context: RunContext
) -> None:
    url = f"http://127.0.0.1:{http_port}/ok"
    result = await run_http(url, run_context, headers={"Host": "www.event.test"})
    assert result.ok, result.reason
    assert site.seen[-1].headers["host"] == "www.event.test"


async def test_a_header_with_a_line_break_is_refused(
    http_port: int, site: HttpSite, run_context: RunContext
) -> None:
    result = await run_http(
        f"http://127.0.0.1:{http_port}/ok", run_context, headers={"X-Bad": "a\r\nInjected: 1"}
    )
    assert not result.ok
    assert result.reason == "headers.X-Bad: the value contains a line break"
    assert site.seen == []


async def test_a_refused_connection_is_a_failed_result(run_context: RunContext) -> None:
    result = await run_http(f"http://127.0.0.1:{closed_port()}/", run_context)
    assert not result.ok
    assert result.reason == "the connection was refused"


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("/chunked", "hello world"),
        ("/until-close", "read until the end"),
        ("/early-hints", "final"),
    ],
)
async def test_bodies_framed_every_way(
    path: str, text: str, http_port: int, run_context: RunContext
) -> None:
    result = await run_http(
        f"http://127.0.0.1:{http_port}{path}", run_context, body_regex=f"^{text}$"
    )
    assert result.ok, result.reason


async def test_head_reads_no_body(http_port: int, run_context: RunContext) -> None:
    result = await run_http(f"http://127.0.0.1:{http_port}/ok", run_context, method="HEAD")
    assert result.ok, result.reason
    assert result.details["body_bytes"] == 0


async def test_oversized_headers_fail(http_port: int, run_context: RunContext) -> None:
    result = await run_http(f"http://127.0.0.1:{http_port}/big-headers", run_context)
    assert result.reason == "the response headers are too large"


# HTTPS


async def test_https_with_the_ca_file_passes_with_a_tls_phase(
    https_port: int, ca_file: str, run_context: RunContext
) -> None:
    result = await run_http(f"https://localhost:{https_port}/ok", run_context, ca_file=ca_file)
    assert result.ok, result.reason
    assert {"dns", "connect", "tls", "first_byte", "total"} <= set(result.phases)


async def test_https_with_an_unknown_ca_fails(https_port: int, run_context: RunContext) -> None:
    result = await run_http(f"https://127.0.0.1:{https_port}/ok", run_context)
    assert not result.ok
    assert result.reason.startswith("the certificate is not trusted: ")
    assert "unable to get local issuer certificate" in result.reason


async def test_https_without_verification_passes(https_port: int, run_context: RunContext) -> None:
    result = await run_http(f"https://127.0.0.1:{https_port}/ok", run_context, verify_tls=False)
    assert result.ok, result.reason


async def test_https_hostname_mismatch_fails(
    ca: trustme.CA, ca_file: str, run_context: RunContext
) -> None:
    other = server_context(ca.issue_cert("other.example"))
    site = HttpSite(pages={"/": b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"})
    async with tcp_server(site.handle, tls=other) as port:
        result = await run_http(f"https://127.0.0.1:{port}/", run_context, ca_file=ca_file)
    assert not result.ok
    assert result.reason.startswith("the certificate is not trusted: IP address mismatch")


# Garbage and misbehaving servers


async def test_an_invalid_status_line_fails_clearly(
    http_port: int, run_context: RunContext
) -> None:
    result = await run_http(f"http://127.0.0.1:{http_port}/garbage", run_context)
    assert not result.ok
    assert result.reason.startswith("invalid HTTP response")


async def test_a_connection_closed_without_an_answer(
    http_port: int, run_context: RunContext
) -> None:
    result = await run_http(f"http://127.0.0.1:{http_port}/closes", run_context)
    assert not result.ok
    assert result.reason == "the connection closed without an answer"


async def test_a_body_cut_short_fails(http_port: int, run_context: RunContext) -> None:
    result = await run_http(f"http://127.0.0.1:{http_port}/short-body", run_context)
    assert result.reason == "the connection closed after 10 bytes of the body"


async def test_a_100_mb_body_is_truncated_with_bounded_memory(
    http_port: int, run_context: RunContext
) -> None:
    tracemalloc.start()
    try:
        result = await run_http(
            f"http://127.0.0.1:{http_port}/huge", run_context, max_body_bytes=1_048_576
        )
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.ok, result.reason
    assert result.details["truncated"] is True
    assert result.details["body_bytes"] == 1_048_576
    assert peak < 8 * 1024 * 1024


async def test_a_body_assertion_beyond_the_limit_says_so(
    http_port: int, run_context: RunContext
) -> None:
    result = await run_http(
        f"http://127.0.0.1:{http_port}/huge",
        run_context,
        max_body_bytes=1024,
        body_contains=["the end"],
    )
    assert not result.ok
    assert "only the first 1024 bytes of the body were read" in result.reason


async def test_a_server_that_never_closes_fails_at_the_deadline(
    http_port: int, run_context: RunContext
) -> None:
    result = await run_http(f"http://127.0.0.1:{http_port}/never-closes", run_context, timeout=0.3)
    assert not result.ok
    assert result.reason == "no answer within 0.3 s while reading the answer"
    assert result.details["timed_out"] is True
    assert result.latency_ms is not None
    assert result.latency_ms < 1_000


async def test_a_trickling_server_fails_at_the_deadline(
    http_port: int, run_context: RunContext
) -> None:
    result = await run_http(f"http://127.0.0.1:{http_port}/trickle", run_context, timeout=0.3)
    assert not result.ok
    assert result.reason == "no answer within 0.3 s while reading the answer"


async def test_a_silent_server_fails_waiting_for_the_answer(run_context: RunContext) -> None:
    async with tcp_server(silent) as port:
        result = await run_http(f"http://127.0.0.1:{port}/", run_context, timeout=0.2)
    assert result.reason == "no answer within 0.2 s while waiting for the answer"
