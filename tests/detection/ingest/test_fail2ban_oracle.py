"""fail2ban's labelled samples as the oracle of the product parsers.

Auth-failure products: every line labelled ``match: true`` gives an auth_failure event
with the labelled host, and ``match: false`` lines give none (see fail2ban.py for how
fail2ban's modes map to Garrison's failure classes). Web attack samples: each labelled
line parses into a web event whose ``c-ip`` is the attacker (the attack itself is for
the rules). Pass rates per product are printed in the terminal summary.

Every product must pass every entry. An entry Garrison should genuinely not flag as
labelled is listed in ALLOWED with its reason; the test also fails when an allow-listed
entry passes (the list must not outlive its reason).
"""

from __future__ import annotations

import pytest

from tests.detection.ingest.conftest import record_rate
from tests.detection.ingest.fail2ban import Score, samples_folder, score_addresses, score_file

MINIMUM_RATE = 1.0

# (sample file, line number) -> why Garrison does not, and should not, do as labelled.
# The sshd entries: this copy of fail2ban's sample lacks, for each of these sessions, the
# earlier line of the same pid that fail2ban's own copy has and that its label relies on;
# test_sshd_sessions.py checks each full sequence.
ALLOWED: dict[tuple[str, int], str] = {
    ("sshd", 100): (
        "The line before it in fail2ban's sample (the same pid's 'Disconnecting: Too many "
        "authentication failures [preauth]') is missing here; alone, a close before "
        "authentication is a probe, not an attempt, exactly as line 96 is labelled."
    ),
    ("sshd", 181): (
        "No line of pid 19725 here names an address (fail2ban's sample has its "
        "'Connection from 192.0.2.10' line first): Garrison reports no host rather than a guess."
    ),
    ("sshd", 183): "Same session as line 181: no line of pid 19725 here names an address.",
    ("sshd", 201): (
        "The 'Connection from' line of pid 649921 that made the address known is missing "
        "here: Garrison holds this failure and reports it once, on line 203."
    ),
    ("sshd", 203): (
        "The failure held from line 201, reported on the first line of pid 649921 that names "
        "the address: one failure for the session, not two."
    ),
}

# Sample file -> the dedicated parser of that product. Listed in docs/detection.md.
AUTH_FAILURE_PRODUCTS = {
    "sshd": "sshd",
    "sshd-journal": "sshd",
    "pam-generic": "pam",
    "apache-auth": "apache_error",
    "nginx-http-auth": "nginx_error",
    "postfix": "postfix",
    "dovecot": "dovecot",
    "courier-auth": "courier",
    "exim": "exim",
    "asterisk": "asterisk",
    "freeswitch": "freeswitch",
    "openvpn": "openvpn",
    "vsftpd": "vsftpd",
    "proftpd": "proftpd",
    "pure-ftpd": "pure_ftpd",
}
WEB_ATTACK_SAMPLES = {
    "apache-badbots": "apache_access",
    "apache-botsearch": "apache_error",
    "apache-noscript": "apache_error",
    "apache-overflows": "apache_error",
    "apache-shellshock": "apache_error",
    "nginx-bad-request": "nginx_access",
    "nginx-botsearch": "auto",
    "nginx-forbidden": "nginx_error",
    "nginx-limit-req": "nginx_error",
}


def _allowed(sample: str) -> dict[int, str]:
    return {number: reason for (name, number), reason in ALLOWED.items() if name == sample}


def _check(request: pytest.FixtureRequest, label: str, score: Score) -> None:
    assert score.total > 0, f"{label}: no labelled entries read"
    line = f"{label:40} {score.passed:3}/{score.total:<3} {score.rate:6.1%}"
    if score.allowed:
        line += f"  ({len(score.allowed)} allow-listed)"
    record_rate(request.config, label, line)
    failures = "\n".join(score.failed)
    assert score.rate >= MINIMUM_RATE, f"{line} is below {MINIMUM_RATE:.0%}:\n{failures}"
    assert not score.stale, f"{label}: allow-listed lines {score.stale} pass now: unlist them"


@pytest.mark.parametrize("sample", sorted(AUTH_FAILURE_PRODUCTS))
def test_auth_failures_with_auto_detection(request: pytest.FixtureRequest, sample: str) -> None:
    score = score_file(samples_folder() / sample, "auto", allowed=_allowed(sample))
    _check(request, f"{sample} (auto)", score)


@pytest.mark.parametrize(("sample", "parser"), sorted(AUTH_FAILURE_PRODUCTS.items()))
def test_auth_failures_with_the_product_parser(
    request: pytest.FixtureRequest, sample: str, parser: str
) -> None:
    score = score_file(samples_folder() / sample, parser, allowed=_allowed(sample))
    _check(request, f"{sample} ({parser})", score)


def test_the_allow_list_names_labelled_lines_of_claimed_products() -> None:
    from tests.detection.ingest.fail2ban import read_stream  # noqa: PLC0415

    for (sample, number), reason in ALLOWED.items():
        assert sample in AUTH_FAILURE_PRODUCTS
        assert reason.strip()
        labelled = {e.number for _l, e in read_stream(samples_folder() / sample) if e}
        assert number in labelled, f"{sample}:{number} is not a labelled line"


@pytest.mark.parametrize(("sample", "parser"), sorted(WEB_ATTACK_SAMPLES.items()))
def test_web_attack_lines_parse_with_the_attacker_address(
    request: pytest.FixtureRequest, sample: str, parser: str
) -> None:
    score = score_addresses(samples_folder() / sample, parser)
    _check(request, f"{sample} c-ip ({parser})", score)


def test_the_oracle_reads_the_samples_layout() -> None:
    """The reader sees labels, options and unlabelled helper lines as fail2ban does."""
    from tests.detection.ingest.fail2ban import read_stream  # noqa: PLC0415

    stream = list(read_stream(samples_folder() / "openvpn"))
    labelled = [entry for _line, entry in stream if entry is not None]
    helpers = [line for line, entry in stream if entry is None]
    assert len(labelled) == 6
    assert all(entry.label["match"] is True for entry in labelled)
    assert any("TCP connection established" in line for line in helpers)
    asterisk = [e for _l, e in read_stream(samples_folder() / "asterisk") if e is not None]
    assert asterisk[-1].line.startswith("server asterisk[123]: NOTICE[566]")
