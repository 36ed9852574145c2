"""sshd's multi-line failures and the bounded session memory behind them.

A failure line that names no address takes it from the same session's (log host,
program, pid) earlier lines, or waits for the session's next line that names it and
is reported there, once. The memory belongs to one source's parser.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from prometheus_client import CollectorRegistry

from garrison.cli.main import cli
from garrison.config.detection import IngestLimits
from garrison.detection.engine.offline import read_events
from garrison.detection.ingest.builder import EventBuilder, builders_for
from garrison.detection.ingest.metrics import register_ingest_metrics
from garrison.detection.ingest.syslog_tcp import SyslogTcpServer
from garrison.detection.parsers import Failure, ParseContext, create_parser
from garrison.detection.parsers.envelope import split_envelope
from garrison.detection.parsers.products.sshd import SshdRecogniser
from garrison.detection.parsers.sessions import SessionMemory
from garrison.detection.pipeline import DetectionPipeline
from garrison.detection.records import LogSource
from tests.detection.ingest.factories import RecordingSink, detection_settings
from tests.detection.ingest.fail2ban import read_stream, samples_folder

T0 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
CONTEXT = ParseContext(received_at=datetime(2026, 6, 1, 12, 0, tzinfo=UTC))
KEX = "error: kex_exchange_identification: Connection closed by remote host"
TOO_MANY = "Disconnecting: Too many authentication failures for root [preauth]"


def _line(pid: int, message: str, *, host: str = "bastion", second: int = 0) -> str:
    moment = T0 + timedelta(seconds=second)
    return f"{moment:%b} {moment.day:2} {moment:%H:%M:%S} {host} sshd[{pid}]: {message}"


def _failures(lines: list[str], parser_name: str = "sshd") -> list[Failure | None]:
    parser = create_parser(parser_name)
    return [
        record.failure if record is not None else None
        for record in (parser.parse_line(line, CONTEXT) for line in lines)
    ]


# The session memory itself.


def test_sessions_are_kept_apart_by_log_host_program_and_pid() -> None:
    memory = SessionMemory()
    keys = [("a", "sshd", "7"), ("b", "sshd", "7"), ("a", "sshd-session", "7"), ("a", "sshd", "8")]
    for number, key in enumerate(keys):
        memory.open(key, T0).address = f"192.0.2.{number}"
    assert [memory.get(key, T0).address for key in keys] == [  # type: ignore[union-attr]
        "192.0.2.0",
        "192.0.2.1",
        "192.0.2.2",
        "192.0.2.3",
    ]


def test_the_memory_keeps_at_most_capacity_sessions_least_recently_seen_out() -> None:
    memory = SessionMemory(capacity=3)
    for pid in ("1", "2", "3"):
        memory.open((None, "sshd", pid), T0)
    assert memory.get((None, "sshd", "1"), T0) is not None  # seen again: now the newest
    memory.open((None, "sshd", "4"), T0)
    memory.open((None, "sshd", "5"), T0)
    assert len(memory) == 3
    assert memory.get((None, "sshd", "2"), T0) is None
    assert memory.get((None, "sshd", "3"), T0) is None
    assert all(memory.get((None, "sshd", pid), T0) is not None for pid in ("1", "4", "5"))


def test_a_session_not_seen_for_max_age_is_forgotten() -> None:
    memory = SessionMemory(max_age=timedelta(minutes=10))
    memory.open((None, "sshd", "1"), T0).address = "192.0.2.1"
    later = T0 + timedelta(minutes=9)
    assert memory.get((None, "sshd", "1"), later) is not None  # seen: its age restarts
    assert memory.get((None, "sshd", "1"), later + timedelta(minutes=9)) is not None
    assert memory.get((None, "sshd", "1"), later + timedelta(minutes=20)) is None
    assert len(memory) == 0


def test_opening_a_session_drops_the_old_ones_in_front() -> None:
    memory = SessionMemory(max_age=timedelta(minutes=10))
    for pid in range(100):
        memory.open((None, "sshd", str(pid)), T0)
    memory.open((None, "sshd", "new"), T0 + timedelta(hours=1))
    assert len(memory) == 1


def test_a_memory_holds_at_least_one_session() -> None:
    with pytest.raises(ValueError, match="capacity"):
        SessionMemory(capacity=0)


# sshd's lines, interleaved as a busy server writes them.


def test_interleaved_sessions_each_keep_their_own_address() -> None:
    failures = _failures(
        [
            _line(100, "Connection from 192.0.2.10 port 40000 on 192.0.2.1 port 22"),
            _line(200, "Connection from 198.51.100.20 port 40001 on 192.0.2.1 port 22"),
            _line(200, KEX, second=1),
            _line(100, KEX, second=2),
            _line(300, KEX, second=3),
        ]
    )
    assert failures[:2] == [None, None]
    assert [(f.source_address, f.failure_class) for f in failures[2:4] if f] == [
        ("198.51.100.20", "probe"),
        ("192.0.2.10", "probe"),
    ]
    assert failures[4] is None  # pid 300 never said where it came from


def test_a_failure_without_address_is_reported_once_on_the_line_that_names_it() -> None:
    failures = _failures(
        [
            _line(424, KEX),
            _line(999, "Connection closed by 203.0.113.99 port 1000"),  # another session
            _line(424, "Connection closed by 203.0.113.15 port 35352", second=1),
            _line(424, "Connection closed by 203.0.113.15 port 35352", second=2),
        ]
    )
    assert failures[0] is None
    assert failures[1] is None
    assert failures[2] is not None
    assert (failures[2].source_address, failures[2].failure_class) == ("203.0.113.15", "probe")
    assert failures[3] is None  # reported once


def test_a_preauth_close_after_too_many_failures_is_the_attempt() -> None:
    failures = _failures(
        [
            _line(8148, TOO_MANY),
            _line(8149, TOO_MANY),
            _line(7148, "Connection closed by 198.51.100.61"),  # another pid: nothing
            _line(8148, "Connection closed by 198.51.100.61 [preauth]", second=18),
        ]
    )
    assert failures[:3] == [None, None, None]
    closed = failures[3]
    assert closed is not None
    assert (closed.source_address, closed.account, closed.failure_class) == (
        "198.51.100.61",
        "root",
        "attempt",
    )


def test_with_the_address_known_too_many_failures_is_the_attempt_and_the_close_a_probe() -> None:
    failures = _failures(
        [
            _line(5, "Connection from 192.0.2.111 port 57910 on 192.0.2.1 port 22"),
            _line(5, TOO_MANY, second=1),
            _line(5, "Connection closed by 192.0.2.111 [preauth]", second=1),
        ]
    )
    assert failures[0] is None
    assert [(f.source_address, f.failure_class) for f in failures[1:] if f] == [
        ("192.0.2.111", "attempt"),
        ("192.0.2.111", "probe"),
    ]


def test_the_same_pid_on_another_log_host_is_another_session() -> None:
    failures = _failures(
        [
            _line(7, "Connection from 192.0.2.7 port 40000 on 192.0.2.1 port 22", host="web1"),
            _line(7, KEX, host="web2"),
        ]
    )
    assert failures == [None, None]


def test_a_reused_pid_long_after_is_a_new_session() -> None:
    failures = _failures(
        [
            _line(7, "Connection from 192.0.2.7 port 40000 on 192.0.2.1 port 22"),
            _line(7, KEX, second=11 * 60),
        ]
    )
    assert failures == [None, None]


def test_an_evicted_session_is_not_attributed() -> None:
    recogniser = SshdRecogniser(SessionMemory(capacity=2))
    lines = [
        _line(pid, f"Connection from 192.0.2.{pid} port 40000 on 192.0.2.1 port 22")
        for pid in (1, 2, 3)
    ]
    lines += [_line(1, KEX), _line(3, KEX)]
    found = [recogniser.recognise(split_envelope(line, CONTEXT)) for line in lines]
    failures = [r.failure if r is not None else None for r in found]
    assert failures[3] is None  # pid 1 was the least recently seen of three
    assert failures[4] is not None
    assert failures[4].source_address == "192.0.2.3"


def test_auto_detection_uses_the_same_memory() -> None:
    failures = _failures([_line(9, KEX), _line(9, "Connection reset by 192.0.2.16 port 5")], "auto")
    assert failures[0] is None
    assert failures[1] is not None
    assert failures[1].source_address == "192.0.2.16"


# One memory per source, on every path that builds events.


def test_two_sources_never_share_sessions() -> None:
    settings = detection_settings(
        {"name": "east", "type": "http", "parser": "sshd"},
        {"name": "west", "type": "http", "parser": "sshd"},
    )
    builders = builders_for(settings, None)
    east, west = builders["east"], builders["west"]
    east.from_line(_line(7, "Connection from 192.0.2.7 port 4 on 192.0.2.1 port 22"), T0)
    assert [e.kind for e in west.from_line(_line(7, KEX), T0).events] == ["log"]
    events = east.from_line(_line(7, KEX), T0).events
    assert [e.kind for e in events] == ["log", "auth_failure"]
    assert events[1].fields["source_address"] == "192.0.2.7"
    assert events[1].source == "east"


SEQUENCE = "\n".join(
    [
        _line(31, KEX),
        _line(32, "Connection from 198.51.100.5 port 4 on 192.0.2.1 port 22"),
        _line(31, "Connection closed by 203.0.113.31 port 5", second=1),
        _line(32, KEX, second=1),
    ]
)


def _auth_failures(events: list[dict[str, object]]) -> list[tuple[object, object]]:
    return [
        (fields["source_address"], fields["failure_class"])
        for event in events
        if event["kind"] == "auth_failure" and isinstance(fields := event["fields"], dict)
    ]


def test_logs_parse_attributes_failures_by_session(tmp_path: Path) -> None:
    path = tmp_path / "auth.log"
    path.write_text(SEQUENCE + "\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["logs", "parse", "--format", "sshd", str(path)])
    assert result.exit_code == 0
    events = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert _auth_failures(events) == [("203.0.113.31", "probe"), ("198.51.100.5", "probe")]


def test_detect_reads_files_with_the_same_session_memory(tmp_path: Path) -> None:
    path = tmp_path / "auth.log"
    path.write_text(SEQUENCE + "\n", encoding="utf-8")
    failures = [
        (index, event.fields["source_address"])
        for index, event in read_events(path, file_format="sshd")
        if event.kind == "auth_failure"
    ]
    assert failures == [(2, "203.0.113.31"), (3, "198.51.100.5")]


async def test_syslog_over_tcp_attributes_failures_by_session() -> None:
    pipeline = DetectionPipeline(metrics=register_ingest_metrics(CollectorRegistry()))
    sink = RecordingSink()
    pipeline.add_sink("test", sink)
    builder = EventBuilder(
        source="tcp-test", parser="auto", tag=LogSource(), zone=UTC, limits=IngestLimits()
    )
    server = SyslogTcpServer(builder=builder, pipeline=pipeline, now=lambda: T0, max_connections=4)
    listening = await server.start(bind="127.0.0.1", port=0)
    task = asyncio.create_task(pipeline.run())
    try:
        host, port = listening.sockets[0].getsockname()[:2]
        _reader, writer = await asyncio.open_connection(host, port)
        writer.write(b"".join(f"<38>{line}\n".encode() for line in SEQUENCE.splitlines()))
        await writer.drain()
        writer.close()
        await writer.wait_closed()
        failures = await sink.wait_for(2, kind="auth_failure")
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        listening.close()
        await server.close_connections()
        await listening.wait_closed()
    assert [f.fields["source_address"] for f in failures] == ["203.0.113.31", "198.51.100.5"]


# What the oracle's allow-list says of the sshd sample, checked on the sample itself.


def test_the_sample_sessions_missing_their_first_line_behave_as_the_allow_list_says() -> None:
    parser = create_parser("sshd")
    found: dict[int, Failure | None] = {}
    for line, entry in read_stream(samples_folder() / "sshd"):
        record = parser.parse_line(line, CONTEXT)
        if entry is not None:
            found[entry.number] = record.failure if record is not None else None
    close = found[100]
    assert close is not None
    assert (close.source_address, close.failure_class) == ("61.0.0.1", "probe")
    assert found[181] is None
    assert found[183] is None
    assert found[201] is None
    held = found[203]
    assert held is not None
    assert (held.source_address, held.failure_class) == ("192.0.2.16", "probe")
    assert "kex_exchange_identification" in held.detail
