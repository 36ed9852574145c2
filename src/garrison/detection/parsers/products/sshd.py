"""OpenSSH's sshd: failed logins, refused users, and pre-authentication probes.

Some failures name no address and are tied to their session (log host, program, pid):
the address an earlier line of it named (``Connection from …``), or else the next line
of it that names one, where the failure is reported, once. That memory (``sessions``) is
the source's own and bounded in size and age.
A ``pam_unix(sshd:auth)`` failure is not counted by itself: sshd logs the same attempt
again as ``Failed password …``, which is the one counted. It is counted when the same
connection then tries (or logs in as) another account: switching accounts mid-connection
is what a password sprayer does.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from garrison.detection.parsers.base import (
    Failure,
    Recognised,
    clean_account,
    normalise_address,
)
from garrison.detection.parsers.envelope import Envelope
from garrison.detection.parsers.products.common import text_of
from garrison.detection.parsers.sessions import SessionKey, SessionMemory
from garrison.detection.records import LogSource

PRODUCT = "sshd"
# A line with no time of its own nor of arrival (only in direct calls) ages nothing.
_NO_TIME = datetime(1970, 1, 1, tzinfo=UTC)


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

    def __init__(self, sessions: SessionMemory | None = None) -> None:
        self._sessions = sessions if sessions is not None else SessionMemory()

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
        # Only sshd's own lines with a pid belong to a session.
        key: SessionKey | None = None
        if owned and envelope.pid is not None and envelope.program is not None:
            key = (envelope.host, envelope.program, envelope.pid)
        now = envelope.moment or _NO_TIME
        if key is not None:
            switched = self._account_switch(text, key, now)
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
            account = clean_account(groups.get("user") or groups.get("user2"))
            failure = Failure(address, account, text[:200], failure_class)
            return failure if key is None else self._settle(key, now, address, failure)
        if key is None:
            return None
        return self._failure_by_process(text, key, now)

    def _settle(
        self, key: SessionKey, now: datetime, address: str, failure: Failure | None = None
    ) -> Failure | None:
        """The session's address is known: a failure waiting for it is reported now, once.

        When the line is a failure itself, the two are one report (an attempt if either
        is): a ``[preauth]`` close after "too many authentication failures" is the attempt.
        """
        session = self._sessions.open(key, now)
        session.address = address
        pending, session.pending = session.pending, None
        if pending is None:
            return failure
        if failure is None:
            return Failure(address, pending.account, pending.detail, pending.failure_class)
        attempt = "attempt" in (pending.failure_class, failure.failure_class)
        return Failure(
            address,
            failure.account or pending.account,
            failure.detail,
            "attempt" if attempt else "probe",
        )

    def _account_switch(self, text: str, key: SessionKey, now: datetime) -> Failure | None:
        """A PAM failure, then another account tried or accepted on the same connection."""
        pam = _PAM_FAILURE.search(text) if "pam_unix(sshd:auth)" in text else None
        if pam is not None:
            rhost = _PAM_RHOST.findall(pam.group("details"))
            user = _PAM_USER.search(pam.group("details"))
            address = normalise_address(rhost[-1]) if rhost else None
            account = clean_account(user.group("user")) if user else None
            if address is None:
                return None
            session = self._sessions.open(key, now)
            earlier = session.pam_account
            session.address = address
            session.pam_account = account or ""
            if earlier is not None and earlier != (account or ""):
                return Failure(address, account, text[:200], "attempt")
            return None
        accepted = _ACCEPTED.search(text) if "Accepted " in text else None
        if accepted is None:
            return None
        known = self._sessions.get(key, now)
        earlier = known.pam_account if known is not None else None
        self._sessions.forget(key)
        address = normalise_address(accepted.group("addr"))
        if earlier and address and earlier != accepted.group("user"):
            return Failure(address, earlier, text[:200], "attempt")
        return None

    def _failure_by_process(self, text: str, key: SessionKey, now: datetime) -> Failure | None:
        """A failure naming no address takes the session's; else it waits for one."""
        if "onnection from " in text or "SSH: Server;" in text:
            connection = _CONNECTION.search(text)
            if connection:
                address = normalise_address(connection.group("addr") or connection.group("addr2"))
                return self._settle(key, now, address) if address else None
        by_process = _FAILURES_BY_PROCESS.search(text)
        if by_process is not None:
            # Too many failed logins is an attempt; the other reasons are handshakes.
            failure_class = "attempt" if "Too many" in text else "probe"
            user = by_process.groupdict().get("user")
            session = self._sessions.open(key, now)
            if session.address is not None:
                return Failure(session.address, user, text[:200], failure_class)
            session.pending = _stronger(
                session.pending, Failure(None, user, text[:200], failure_class)
            )
            return None
        address = _address_named(text)
        return self._settle(key, now, address) if address else None


def _address_named(text: str) -> str | None:
    """The peer's address on a line that is no failure by itself (a close, a disconnect)."""
    named = _CLOSED_PLAIN.search(text) or _SEEN_ADDRESS.search(text)
    return normalise_address(named.group("addr")) if named else None


def _stronger(held: Failure | None, new: Failure) -> Failure:
    """One waiting failure per session: an attempt outranks a probe, else the first stays."""
    if held is None or (new.failure_class == "attempt" and held.failure_class != "attempt"):
        return new
    return held
