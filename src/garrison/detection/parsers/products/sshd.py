"""OpenSSH's sshd: failed logins, refused users, and pre-authentication probes.

Some failures name no address and are tied to one by the process id of earlier lines
(``Connection from …``), as sshd logs them; that memory is per source and bounded.
A ``pam_unix(sshd:auth)`` failure is not counted by itself: sshd logs the same attempt
again as ``Failed password …``, which is the one counted. It is counted when the same
connection then tries (or logs in as) another account: switching accounts mid-connection
is what a password sprayer does.
"""

from __future__ import annotations

import re

from garrison.detection.parsers.base import (
    Failure,
    Recognised,
    clean_account,
    normalise_address,
)
from garrison.detection.parsers.envelope import Envelope
from garrison.detection.parsers.products.common import ConnectionMemory, text_of
from garrison.detection.records import LogSource

PRODUCT = "sshd"


def _needle(pattern: str) -> str:
    """The literal text a pattern starts with (up to its first special character), maybe ""."""
    return re.split(r"[\\()\[?*+.|{^$]", pattern, maxsplit=1)[0].strip()


_LOGSOURCE = LogSource(product="linux", service="sshd")
_ADDR = r"(?P<addr>[\w.:%\[\]-]{1,255}?)"
_PREFIX = re.compile(r"(?:\[ID \d+ [\w.]+\] |kernel:\[\s*[\d.]+\]:? |(?:error|fatal): )+")

# (pattern, failure class); the account is the named group "user" where there is one.
# A pattern runs only on messages holding its first word (see _needle).
_FAILURES: tuple[tuple[re.Pattern[str], str, str], ...] = tuple(
    (re.compile(pattern), failure_class, _needle(pattern))
    for pattern, failure_class in (
        (
            r"Failed (?!publickey for (?!invalid user))\S+ for (?:invalid user |illegal user )?"
            r"(?P<user>.*?) from " + _ADDR + r"(?: port \d+)?(?: ssh\d?)?(?:$|: )",
            "attempt",
        ),
        (
            r"PAM: (?:User not known to the underlying authentication module for "
            r"(?:illegal|invalid) user (?P<user>.*?)|[Aa]uthentication (?:failure|error) for "
            r"(?:illegal user |invalid user )?(?P<user2>.*?)) from " + _ADDR + r"(?: via \S+)?\s*$",
            "attempt",
        ),
        (
            r"(?i:ROOT LOGIN REFUSED) (?i:FROM) " + _ADDR + r"(?: port \d+)?(?: \[preauth\])?$",
            "attempt",
        ),
        (
            r"[Ii](?:llegal|nvalid) user (?P<user>.*?) from " + _ADDR + r"(?: port \d+)?\s*$",
            "attempt",
        ),
        (r"User (?P<user>\S+) from " + _ADDR + r" not allowed because ", "attempt"),
        (r"refused connect from \S+ \(" + _ADDR + r"\)", "attempt"),
        (
            r"Received disconnect from " + _ADDR + r"(?: port \d+)?:\s?\d+: "
            r"(?:.*Auth fail|No (?:supported )?authentication methods|.*\[preauth\]$)",
            "attempt",
        ),
        (
            r"Disconnecting (?:invalid |authenticating )?user (?P<user>\S+) "
            + _ADDR
            + r" port \d+: Change of username or service not allowed",
            "attempt",
        ),
        (
            r"maximum authentication attempts exceeded for (?:invalid user )?(?P<user>.*?) from "
            + _ADDR
            + r"(?: port \d+)?(?: ssh\d)?(?: \[preauth\])?$",
            "attempt",
        ),
        (
            r"Connection (?:closed|reset) by (?:(?:authenticating|invalid) user (?P<user>.+) "
            r"(?P<addr2>[\w.:%\[\]-]+) port \d+|" + _ADDR + r"(?: port \d+)?) \[preauth\]$",
            "probe",
        ),
        (r"Did not receive identification string from " + _ADDR + r"(?: port \d+)?$", "probe"),
        (r"Bad protocol version identification .* from " + _ADDR + r"(?: port \d+)?$", "probe"),
        (r"Unable to negotiate with " + _ADDR + r" port \d+: no matching", "probe"),
        (r"banner exchange: Connection from " + _ADDR + r" port \d+: invalid format", "probe"),
        (
            r"ssh_dispatch_run_fatal: Connection from "
            + _ADDR
            + r" port \d+: message authentication code incorrect",
            "probe",
        ),
        (r"Timeout before authentication for " + _ADDR + r"(?: port \d+)?$", "probe"),
        (r"Disconnected from " + _ADDR + r" port \d+ \[preauth\]$", "probe"),
    )
)
# Failures that name no address: the address comes from the process's earlier lines.
_FAILURES_BY_PROCESS = re.compile(
    r"Disconnecting: Too many authentication failures(?: for (?P<user>\S+))? \[preauth\]"
    r"|Unable to negotiate a key exchange method"
    r"|no matching mac found"
    r"|Read from socket failed: Connection reset by peer \[preauth\]"
    r"|kex_exchange_identification: "
)
_CONNECTION = re.compile(
    r"Connection from " + _ADDR + r" port \d+(?: on \S+ port \d+)?$"
    r"|SSH: Server;Ltype: Version;Remote: (?P<addr2>[\w.:%-]+)-\d+;"
)
_SEEN_ADDRESS = re.compile(r" from " + _ADDR + r"(?: port \d+)")
_CLOSED_PLAIN = re.compile(r"Connection (?:closed|reset) by " + _ADDR + r"(?: port \d+)?$")
_ACCEPTED = re.compile(r"Accepted (?P<method>\S+) for (?P<user>\S+) from " + _ADDR + r" port")
_PAM_FAILURE = re.compile(r"pam_unix\(sshd:auth\): authentication failure;(?P<details>.*)$")
_PAM_RHOST = re.compile(r"\brhost=(?P<addr>\S+)")
_PAM_USER = re.compile(r"\b(?:user|ruser)=(?P<user>\S+)")


class SshdRecogniser:
    product = PRODUCT
    programs = frozenset({"sshd", "sshd-session", "ssh"})

    def __init__(self) -> None:
        self._memory = ConnectionMemory()

    def recognise(self, envelope: Envelope) -> Recognised | None:
        text = text_of(envelope, self.programs)
        prefix = _PREFIX.match(text)
        if prefix:
            text = text[prefix.end() :]
        owned = envelope.program is not None and envelope.program.lower() in self.programs
        failure = self._failure(text, envelope, owned=owned)
        if failure is None and not owned:
            return None
        fields: dict[str, object] = {"message": text}
        accepted = _ACCEPTED.search(text)
        if accepted:
            fields.update({"outcome": "success", "user": accepted.group("user")})
        if failure is not None:
            fields.update({"outcome": "failure", "source_address": failure.source_address})
            if failure.account:
                fields["user"] = failure.account
        return Recognised(PRODUCT, _LOGSOURCE, fields, failure)

    def _failure(self, text: str, envelope: Envelope, *, owned: bool) -> Failure | None:
        host, pid = envelope.host, envelope.pid
        if owned:
            switched = self._account_switch(text, host, pid)
            if switched is not None:
                return switched
        for pattern, failure_class, needle in _FAILURES:
            if needle not in text:
                continue
            match = pattern.search(text)
            if match is None:
                continue
            groups = match.groupdict()
            address = normalise_address(groups.get("addr") or groups.get("addr2"))
            if address is None:
                continue
            self._memory.remember(host, pid, address=address)
            account = clean_account(groups.get("user") or groups.get("user2"))
            return Failure(address, account, text[:200], failure_class)
        if not owned:
            return None
        return self._failure_by_process(text, host, pid)

    def _account_switch(self, text: str, host: str | None, pid: str | None) -> Failure | None:
        """A PAM failure, then another account tried or accepted on the same connection."""
        known = self._memory.get(host, pid)
        pam = _PAM_FAILURE.search(text)
        if pam is not None:
            rhost = _PAM_RHOST.findall(pam.group("details"))
            user = _PAM_USER.search(pam.group("details"))
            address = normalise_address(rhost[-1]) if rhost else None
            account = clean_account(user.group("user")) if user else None
            if address is None:
                return None
            earlier = known.get("pam_account")
            self._memory.remember(host, pid, address=address, pam_account=account or "")
            if earlier is not None and earlier != (account or ""):
                return Failure(address, account, text[:200], "attempt")
            return None
        accepted = _ACCEPTED.search(text)
        if accepted is None:
            return None
        earlier = known.get("pam_account")
        self._memory.forget(host, pid)
        address = normalise_address(accepted.group("addr"))
        if earlier and address and earlier != accepted.group("user"):
            return Failure(address, earlier, text[:200], "attempt")
        return None

    def _failure_by_process(self, text: str, host: str | None, pid: str | None) -> Failure | None:
        connection = _CONNECTION.search(text)
        if connection:
            address = normalise_address(connection.group("addr") or connection.group("addr2"))
            if address:
                self._memory.remember(host, pid, address=address)
            return None
        known = self._memory.get(host, pid)
        by_process = _FAILURES_BY_PROCESS.search(text)
        if by_process:
            if "address" in known:
                # Too many failed logins is an attempt; the other reasons are handshakes.
                failure_class = "attempt" if "Too many" in text else "probe"
                user = by_process.groupdict().get("user")
                return Failure(known["address"], user, text[:200], failure_class)
            if "kex_exchange_identification" in text:
                self._memory.remember(host, pid, pending="kex")
            return None
        closed = _CLOSED_PLAIN.search(text)
        if closed and known.get("pending") == "kex":
            self._memory.forget(host, pid)
            return Failure(normalise_address(closed.group("addr")), None, text[:200], "probe")
        seen = _SEEN_ADDRESS.search(text)
        if seen:
            address = normalise_address(seen.group("addr"))
            if address:
                self._memory.remember(host, pid, address=address)
        return None
