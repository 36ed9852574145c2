from __future__ import annotations

import json
import time
import typing
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from garrison.config.detection import ParserName
from garrison.detection.parsers import PARSER_NAMES, DocumentTooDeep, ParseContext, create_parser
from garrison.detection.parsers.base import normalise_address
from garrison.detection.parsers.envelope import split_envelope
from garrison.detection.parsers.timestamps import find_leading_time
from tests.detection.ingest.fail2ban import SHARED_DATA

RECEIVED = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
CONTEXT = ParseContext(received_at=RECEIVED)


def test_the_configuration_offers_exactly_the_parsers_that_exist() -> None:
    assert typing.get_args(ParserName) == PARSER_NAMES


def test_rfc5424_with_structured_data() -> None:
    line = (
        "<38>1 2026-05-31T17:40:17.954167-04:00 mail.example sshd 5591 ID47 "
        '[timeQuality tzKnown="1"][x@123 note="a \\"quoted\\" [value]"] '
        "Failed password for root from 192.0.2.7 port 5000 ssh2"
    )
    envelope = split_envelope(line, CONTEXT)
    assert envelope.timestamp == datetime(2026, 5, 31, 21, 40, 17, 954167, tzinfo=UTC)
    assert (envelope.host, envelope.program, envelope.pid) == ("mail.example", "sshd", "5591")
    assert envelope.fields["facility"] == "auth"
    assert envelope.fields["severity"] == "info"
    assert envelope.fields["structured_data"]["x@123"]["note"] == 'a "quoted" [value]'
    assert envelope.message.startswith("Failed password")


def test_rfc3164_without_a_year_is_never_in_the_future() -> None:
    december = split_envelope("<13>Dec 31 23:59:59 gw kernel: boot", CONTEXT)
    assert december.timestamp == datetime(2025, 12, 31, 23, 59, 59, tzinfo=UTC)
    may = split_envelope("May 31 10:00:00 gw kernel: boot", CONTEXT)
    assert may.timestamp == datetime(2026, 5, 31, 10, 0, tzinfo=UTC)


def test_times_without_offset_are_read_in_the_source_zone() -> None:
    hanoi = ParseContext(received_at=RECEIVED, zone=ZoneInfo("Asia/Ho_Chi_Minh"))
    found = find_leading_time("2026-05-31 15:00:00 rest", received_at=RECEIVED, zone=hanoi.zone)
    assert found is not None
    assert found.moment == datetime(2026, 5, 31, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("::ffff:192.0.2.1", "192.0.2.1"),
        ("[2001:db8::1]:5060", "2001:db8::1"),
        ("192.0.2.9:4411", "192.0.2.9"),
        ("mail.example.com", "mail.example.com"),
        ("peer", None),
        ("", None),
    ],
)
def test_addresses_are_normalised(text: str, expected: str | None) -> None:
    assert normalise_address(text) == expected


def test_combined_access_log_has_sigma_web_field_names() -> None:
    line = (
        '203.0.113.5 - admin [10/Oct/2026:13:55:36 +0700] "GET /search.php?q=%27or%201=1 '
        'HTTP/1.1" 404 512 "https://portal.example/" "sqlmap/1.7"'
    )
    record = create_parser("nginx_access").parse_line(line, CONTEXT)
    assert record is not None
    assert record.parser == "nginx_access"
    assert record.logsource.category == "webserver"
    assert record.timestamp == datetime(2026, 10, 10, 6, 55, 36, tzinfo=UTC)
    assert record.fields["c-ip"] == "203.0.113.5"
    assert record.fields["cs-method"] == "GET"
    assert record.fields["cs-uri-stem"] == "/search.php"
    assert record.fields["cs-uri-query"] == "/search.php?q=%27or%201=1"
    assert record.fields["c-uri"] == record.fields["cs-uri"] == "/search.php?q=%27or%201=1"
    assert record.fields["sc-status"] == 404
    assert record.fields["sc-bytes"] == 512
    assert record.fields["cs-referer"] == "https://portal.example/"
    assert record.fields["c-useragent"] == record.fields["cs-user-agent"] == "sqlmap/1.7"
    assert record.fields["cs-username"] == "admin"
    assert record.fields["cs-version"] == "HTTP/1.1"


def test_common_log_format_with_virtual_host() -> None:
    line = (
        'www.example.org 198.51.100.4 - - [01/Jun/2026:08:00:00 +0000] "POST /login HTTP/1.0" 200 -'
    )
    record = create_parser("apache_access").parse_line(line, CONTEXT)
    assert record is not None
    assert record.fields["cs-host"] == "www.example.org"
    assert record.fields["c-ip"] == "198.51.100.4"
    assert "sc-bytes" not in record.fields
    assert record.logsource.product == "apache"


def test_an_unknown_line_is_not_parsed_by_a_format_parser() -> None:
    assert create_parser("nginx_access").parse_line("just words", CONTEXT) is None
    assert create_parser("auto").parse_line("just words", CONTEXT) is None


def test_a_syslog_line_of_an_unknown_program_is_a_plain_syslog_event() -> None:
    record = create_parser("auto").parse_line("Jun  1 08:00:00 gw cron[12]: job done", CONTEXT)
    assert record is not None
    assert record.parser == "syslog"
    assert record.fields["program"] == "cron"
    assert record.fields["message"] == "job done"
    assert record.failure is None


def test_a_failed_login_names_address_account_and_product() -> None:
    line = (
        "Jun  1 08:00:00 bastion sshd[77]: "
        "Failed password for invalid user admin from 198.51.100.23 port 4242 ssh2"
    )
    record = create_parser("auto").parse_line(line, CONTEXT)
    assert record is not None
    assert record.failure is not None
    assert record.failure.source_address == "198.51.100.23"
    assert record.failure.account == "admin"
    assert record.failure.failure_class == "attempt"
    assert record.product == "sshd"
    assert record.host == "bastion"


def _regression_documents() -> list[tuple[Path, dict[str, object]]]:
    folder = SHARED_DATA / "sigma" / "regression"
    if not folder.is_dir():
        return []
    decoder = json.JSONDecoder()
    documents = []
    for path in sorted(folder.rglob("*.json")):
        text = path.read_text(encoding="utf-8")
        position = 0
        while position < len(text):
            while position < len(text) and text[position].isspace():
                position += 1
            if position >= len(text):
                break
            value, position = decoder.raw_decode(text, position)
            documents.append((path, value))
    return documents


def test_sigma_regression_samples_become_windows_events_with_sigma_names() -> None:
    documents = _regression_documents()
    if not documents:
        pytest.skip("SigmaHQ regression samples not found (../shared absent)")
    parser = create_parser("auto")
    for path, document in documents:
        record = parser.parse_document(document, CONTEXT)
        assert record.parser == "windows", path
        assert record.logsource.product == "windows", path
        assert isinstance(record.fields.get("EventID"), int), path
        assert "Channel" in record.fields, path
        assert "Provider_Name" in record.fields, path
        assert not any(key.startswith(("Event.", "System.")) for key in record.fields), path
    sysmon = [
        r
        for p, d in documents
        if (r := parser.parse_document(d, CONTEXT)).fields["EventID"] == 1
        and r.logsource.service == "sysmon"
    ]
    assert sysmon, "expected Sysmon process creation samples"
    assert all(r.logsource.category == "process_creation" for r in sysmon)
    assert all("Image" in r.fields and "CommandLine" in r.fields for r in sysmon)


WINLOGBEAT = {
    "@timestamp": "2026-06-01T08:00:00.000Z",
    "host": {"name": "dc01"},
    "winlog": {
        "event_id": 4625,
        "channel": "Security",
        "provider_name": "Microsoft-Windows-Security-Auditing",
        "computer_name": "dc01.corp.example",
        "event_data": {
            "TargetUserName": "administrator",
            "IpAddress": "203.0.113.77",
            "LogonType": "3",
        },
    },
    "message": "An account failed to log on.",
}
NXLOG = {
    "EventTime": "2026-06-01 08:00:00",
    "Hostname": "ws12.corp.example",
    "EventID": 4688,
    "SourceName": "Microsoft-Windows-Security-Auditing",
    "Channel": "Security",
    "NewProcessName": "C:\\Windows\\System32\\cmd.exe",
    "CommandLine": "cmd.exe /c whoami",
    "ParentProcessName": "C:\\Windows\\explorer.exe",
}


def test_winlogbeat_failed_logon_is_an_auth_failure() -> None:
    record = create_parser("auto").parse_document(WINLOGBEAT, CONTEXT)
    assert record.parser == "windows"
    assert record.fields["EventID"] == 4625
    assert record.fields["Provider_Name"] == "Microsoft-Windows-Security-Auditing"
    assert record.fields["Computer"] == "dc01.corp.example"
    assert record.fields["TargetUserName"] == "administrator"
    assert record.fields["host.name"] == "dc01"
    assert record.logsource.service == "security"
    assert record.timestamp == datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
    assert record.failure is not None
    assert (record.failure.source_address, record.failure.account) == (
        "203.0.113.77",
        "administrator",
    )


def test_nxlog_process_creation_gets_sysmon_names() -> None:
    record = create_parser("windows").parse_document(NXLOG, CONTEXT)
    assert record.fields["Provider_Name"] == "Microsoft-Windows-Security-Auditing"
    assert record.fields["Computer"] == "ws12.corp.example"
    assert record.fields["Image"] == "C:\\Windows\\System32\\cmd.exe"
    assert record.fields["ParentImage"] == "C:\\Windows\\explorer.exe"
    assert record.logsource.category == "process_creation"
    assert record.failure is None


def test_generic_json_is_flattened_with_dots() -> None:
    document = {"a": {"b": {"c": 1}}, "tags": ["x", "y"], "items": [{"k": "v"}]}
    record = create_parser("json").parse_document(document, CONTEXT)
    assert record.fields == {"a.b.c": 1, "tags": ["x", "y"], "items.0.k": "v"}


def test_a_json_line_in_auto_mode_is_a_document() -> None:
    line = json.dumps(
        {"message": "Jun  1 08:00:00 gw sshd[1]: Invalid user bob from 192.0.2.8", "env": "prod"}
    )
    record = create_parser("auto").parse_line(line, CONTEXT)
    assert record is not None
    assert record.failure is not None
    assert record.failure.source_address == "192.0.2.8"
    assert record.fields["env"] == "prod"


def test_a_document_nested_too_deeply_is_refused() -> None:
    deep: dict[str, object] = {}
    node = deep
    for _ in range(50):
        child: dict[str, object] = {}
        node["n"] = child
        node = child
    with pytest.raises(DocumentTooDeep):
        create_parser("json").parse_document(
            deep, ParseContext(received_at=RECEIVED, max_json_depth=32)
        )


def test_a_vector_syslog_document_carries_the_program_apart() -> None:
    document = {
        "appname": "dovecot",
        "hostname": "mx1",
        "message": (
            "imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<eve>, "
            "method=PLAIN, rip=203.0.113.9, lip=10.0.0.1"
        ),
        "timestamp": "2026-06-01T07:59:00Z",
    }
    record = create_parser("auto").parse_document(document, CONTEXT)
    assert record.parser == "dovecot"
    assert record.host == "mx1"
    assert record.failure is not None
    assert record.failure.account == "eve"
    assert record.timestamp == datetime(2026, 6, 1, 7, 59, tzinfo=UTC)


HOSTILE_UNITS = ("[", "(", "H=[", "'", "from ", "[client ", "A", "Failed password for ", "auth(")
HOSTILE_PREFIXES = (
    "",
    "Jun  1 08:00:00 gw sshd[1]: ",
    "Jun  1 08:00:00 gw asterisk[1]: ",
    "Jun  1 08:00:00 gw postfix/smtpd[1]: ",
    "Jun  1 08:00:00 gw exim[1]: ",
    "Jun  1 08:00:00 gw vsftpd: ",
    "Jun  1 08:00:00 gw proftpd[1] h ",
    '1.2.3.4 - - [01/Jun/2026:08:00:00 +0000] "',
)


@pytest.mark.parametrize("prefix", HOSTILE_PREFIXES)
def test_hostile_64k_lines_are_parsed_in_bounded_time(prefix: str) -> None:
    """Patterns are guarded by literal needles and bounded repeats: no quadratic blow-up."""
    parser = create_parser("auto")
    slowest = 0.0
    for unit in HOSTILE_UNITS:
        line = (prefix + unit * (65_536 // len(unit)))[:65_536]
        started = time.perf_counter()
        parser.parse_line(line, CONTEXT)
        slowest = max(slowest, time.perf_counter() - started)
    assert slowest < 0.5, f"{slowest:.3f} s for one line"
