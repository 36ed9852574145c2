"""The part of a log line before the message: timestamp, host, program and pid.

Handles RFC 5424, RFC 3164 (with or without host, with ISO timestamps as rsyslog writes
them), journal exports (``host prog[pid]: msg``) and the timestamps products write in
their own files. Nothing here knows any product: it only finds where the message starts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from garrison.detection.parsers.base import ParseContext
from garrison.detection.parsers.timestamps import find_leading_time, parse_iso

FACILITIES = (
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron",
    "authpriv", "ftp", "ntp", "security", "console", "solaris-cron",
    "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
)  # fmt: skip
SEVERITIES = ("emerg", "alert", "crit", "err", "warning", "notice", "info", "debug")

_PRI = re.compile(r"<(?P<pri>\d{1,3})>")
_RFC5424 = re.compile(
    r"1 (?P<ts>\S+) (?P<host>\S+) (?P<app>\S+) (?P<procid>\S+) (?P<msgid>\S+) "
    r"(?P<rest>.*)",
    re.DOTALL,
)
_SD_ELEMENT = re.compile(r'\[(?P<id>[^\s\]=]+)(?P<params>(?: [^\s=\]]+="(?:[^"\\]|\\.)*")*)\]')
_SD_PARAM = re.compile(r'(?P<name>[^\s=\]]+)="(?P<value>(?:[^"\\]|\\.)*)"')
# A syslog tag: "prog:", "prog[pid]:", "prog(detail):", "prog(detail)[pid]:", "[prog]".
_TAG = re.compile(
    r"(?P<prog>[A-Za-z0-9_][\w.@/-]{0,63}(?:\([^()\s]{0,64}\))?)(?:\[(?P<pid>\d{1,10})\])?"
    r"(?::(?:\s+|$)|(?P<bare>\s+))"
)
_BRACKET_TAG = re.compile(r"\[(?P<prog>[a-z][\w.-]{0,31})\]:?\s+(?=[A-Za-z])")
_HOST = re.compile(r"(?P<host>[A-Za-z0-9_][\w.:-]{0,252})\s+")


@dataclass(frozen=True, slots=True)
class Envelope:
    timestamp: datetime | None
    host: str | None
    program: str | None
    pid: str | None
    message: str  # after the tag (or the whole rest when there is no tag)
    rest: str  # everything after the timestamp (and priority), tag included
    fields: dict[str, Any] = field(default_factory=dict)
    # When the line arrived: the time of a line that carries none (parsers' memories age by it).
    received_at: datetime | None = None

    @property
    def moment(self) -> datetime | None:
        """The line's own time, else when it arrived."""
        return self.timestamp or self.received_at

    @property
    def is_syslog(self) -> bool:
        return self.program is not None


def split_envelope(line: str, context: ParseContext) -> Envelope:
    """Split ``line`` into its header and message; never fails (the message may be all)."""
    extra: dict[str, Any] = {}
    text = line
    pri = _PRI.match(text)
    if pri:
        value = int(pri.group("pri"))
        if value <= 191:
            extra["facility"] = FACILITIES[value // 8]
            extra["severity"] = SEVERITIES[value % 8]
        text = text[pri.end() :]
        rfc5424 = _RFC5424.match(text)
        if rfc5424:
            return _from_rfc5424(rfc5424, extra, context.received_at)
    found = find_leading_time(text, received_at=context.received_at, zone=context.zone)
    timestamp = None
    if found is not None:
        timestamp = found.moment
        text = text[found.end :]
    rest = text
    host, program, pid, message = _split_tag(text)
    if program is not None:
        extra["program"] = program
        if pid is not None:
            extra["pid"] = pid
    if host is not None:
        extra["hostname"] = host
    return Envelope(timestamp, host, program, pid, message, rest, extra, context.received_at)


def _split_tag(text: str) -> tuple[str | None, str | None, str | None, str]:
    """(host, program, pid, message): a host is only taken when a tag follows it."""
    tag = _match_tag(text, allow_bare=False)
    if tag is not None:
        return None, tag[0], tag[1], text[tag[2] :]
    host = _HOST.match(text)
    if host is not None:
        after = text[host.end() :]
        tag = _match_tag(after, allow_bare=True)
        if tag is not None:
            return host.group("host"), tag[0], tag[1], after[tag[2] :]
    return None, None, None, text


def _match_tag(text: str, *, allow_bare: bool) -> tuple[str, str | None, int] | None:
    bracket = _BRACKET_TAG.match(text)
    if bracket is not None:
        return bracket.group("prog"), None, bracket.end()
    match = _TAG.match(text)
    if match is None:
        return None
    # "prog[pid] message" (no colon) is a tag only with a pid, and only after a host.
    if match.group("bare") is not None and not (allow_bare and match.group("pid")):
        return None
    return match.group("prog"), match.group("pid"), match.end()


def _from_rfc5424(match: re.Match[str], extra: dict[str, Any], received_at: datetime) -> Envelope:
    def value(name: str) -> str | None:
        text = match.group(name)
        return None if text == "-" else text

    rest = match.group("rest")
    structured: dict[str, Any] = {}
    if rest.startswith("-"):
        message = rest[1:].lstrip(" ")
    else:
        position = 0
        while position < len(rest):
            element = _SD_ELEMENT.match(rest, position)
            if element is None:
                break
            params = {
                param.group("name"): param.group("value").replace('\\"', '"')
                for param in _SD_PARAM.finditer(element.group("params"))
            }
            structured[element.group("id")] = params
            position = element.end()
        message = rest[position:].lstrip(" ")
    if message.startswith("\ufeff"):
        message = message[1:]
    program, pid, msgid = value("app"), value("procid"), value("msgid")
    extra.update({"program": program, "pid": pid, "msgid": msgid, "hostname": value("host")})
    if structured:
        extra["structured_data"] = structured
    timestamp = parse_iso(match.group("ts")) if value("ts") else None
    return Envelope(
        timestamp,
        value("host"),
        program,
        pid,
        message,
        message,
        {key: item for key, item in extra.items() if item is not None},
        received_at,
    )
