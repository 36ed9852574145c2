"""SIP OPTIONS requests and the status line of their answers (RFC 3261)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from garrison.i18n import gettext as _
from garrison.probes.runners._outcome import ProbeFailure

MAX_MESSAGE_BYTES = 64 * 1024
_STATUS_LINE = re.compile(r"^SIP/2\.0 ([1-6]\d\d) ?([^\r\n]*)$")
MAGIC_COOKIE = "z9hG4bK"


@dataclass(frozen=True, slots=True)
class SipRequest:
    branch: str
    call_id: str
    text: bytes


@dataclass(frozen=True, slots=True)
class SipAnswer:
    status: int
    reason: str
    headers: dict[str, str]
    """Compact and long names both folded to the long, lower-cased name."""


_COMPACT = {"v": "via", "i": "call-id", "f": "from", "t": "to", "l": "content-length"}


def options_request(*, uri: str, transport: str, local_host: str, local_port: int) -> SipRequest:
    branch = MAGIC_COOKIE + secrets.token_hex(8)
    call_id = f"{secrets.token_hex(12)}@{local_host}"
    tag = secrets.token_hex(6)
    local = f"[{local_host}]" if ":" in local_host else local_host
    lines = [
        f"OPTIONS {uri} SIP/2.0",
        f"Via: SIP/2.0/{transport.upper()} {local}:{local_port};branch={branch};rport",
        "Max-Forwards: 70",
        f"From: <sip:garrison@{local}>;tag={tag}",
        f"To: <{uri}>",
        f"Call-ID: {call_id}",
        "CSeq: 1 OPTIONS",
        f"Contact: <sip:garrison@{local}:{local_port};transport={transport.lower()}>",
        "Accept: application/sdp",
        "User-Agent: Garrison-probe/1",
        "Content-Length: 0",
    ]
    return SipRequest(branch, call_id, ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8"))


def parse_answer(head: bytes) -> SipAnswer:
    """The status line and headers of a SIP response; ProbeFailure when it is not one."""
    text = head.decode("utf-8", errors="replace")
    lines = text.split("\r\n") if "\r\n" in text else text.split("\n")
    match = _STATUS_LINE.match(lines[0].strip()) if lines else None
    if match is None:
        shown = lines[0][:120] if lines else ""
        raise ProbeFailure(_("not a SIP answer: {line!r}").format(line=shown))
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if not line:
            break
        name, separator, value = line.partition(":")
        if not separator:
            raise ProbeFailure(_("a malformed SIP header: {line!r}").format(line=line[:120]))
        key = name.strip().lower()
        key = _COMPACT.get(key, key)
        headers.setdefault(key, value.strip())
    return SipAnswer(int(match.group(1)), match.group(2).strip(), headers)


def belongs_to(answer: SipAnswer, request: SipRequest) -> bool:
    return answer.headers.get(
        "call-id"
    ) == request.call_id and f"branch={request.branch}" in answer.headers.get("via", "")
