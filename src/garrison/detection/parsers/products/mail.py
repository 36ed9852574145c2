"""Mail servers: Postfix, Dovecot and Exim."""

from __future__ import annotations

import re

from garrison.detection.parsers.base import Failure, Recognised, clean_account, normalise_address
from garrison.detection.parsers.envelope import Envelope
from garrison.detection.parsers.products.common import (
    FailurePattern,
    PatternRecogniser,
    owns_program,
    text_of,
)
from garrison.detection.records import LogSource

_ADDRESS = r"(?P<addr>[^\]\s]{1,255})"
_CLIENT = r"[^\[\s]{0,255}\[" + _ADDRESS + r"\]"
_BRACKETED = r"[^\[]{0,512}\[" + _ADDRESS + r"\]"


def postfix() -> PatternRecogniser:
    return PatternRecogniser(
        product="postfix",
        logsource=LogSource(product="linux", service="postfix"),
        programs=frozenset({"postfix", "postscreen", "smtpd"}),
        patterns=(
            FailurePattern(
                r"reject: (?:RCPT|EHLO|HELO|VRFY|DATA|MAIL|CONNECT|ETRN|END-OF-MESSAGE) from "
                + _CLIENT
                + r"(?::\d+)?: [45]\d\d ",
                needle="reject: ",
            ),
            FailurePattern(
                r"improper command pipelining after \S+ from " + _CLIENT,
                needle="improper command pipelining",
            ),
            FailurePattern(r"too many errors after \S+ from " + _CLIENT, needle="too many errors"),
            FailurePattern(
                r"warning: " + _CLIENT + r": SASL [\w-]+ authentication failed"
                r"(?!: Connection lost to authentication server)"
                r"(?:.*\bsasl_username=(?P<user>\S+))?",
                needle="SASL",
            ),
            FailurePattern(
                r"warning: (?:Connection|Message delivery request) rate limit exceeded: \d+ from "
                + _CLIENT,
                needle="rate limit exceeded",
            ),
            FailurePattern(
                r"disconnect from " + _CLIENT + r"(?: \w+=\d+(?:/\d+)?)*? auth=0/\d+",
                "probe",
                needle="auth=0/",
            ),
            FailurePattern(
                r"lost connection after (?:CONNECT|STARTTLS|EHLO|HELO|AUTH|UNKNOWN) from "
                + _CLIENT,
                "probe",
                needle="lost connection after",
            ),
            FailurePattern(
                r"PREGREET \d+ after \S+ from \[" + _ADDRESS + r"\]", "probe", needle="PREGREET"
            ),
            FailurePattern(
                r"COMMAND (?:TIME|COUNT|LENGTH) LIMIT from \[" + _ADDRESS + r"\]",
                "probe",
                needle="LIMIT from",
            ),
        ),
    )


def exim() -> PatternRecogniser:
    host = r"H=(?:[^\s\[(]{1,255} )?(?:\([^)]{0,255}\) )?\[" + _ADDRESS + r"\]"
    return PatternRecogniser(
        product="exim",
        logsource=LogSource(product="linux", service="exim"),
        programs=frozenset({"exim", "exim4"}),
        patterns=(
            FailurePattern(
                r"authenticator failed for .*?\[" + _ADDRESS + r"\](?::\d+)?"
                r"(?: I=\[[^\]]{1,255}\](?::\d+)?)?(?: Ci=\d+)?: 535 Incorrect authentication data"
                r"(?: \(set_id=(?P<user>[^)]{1,255})\))?",
                needle="authenticator failed for",
            ),
            FailurePattern(
                r'SMTP protocol error in ".*" ' + host + r"(?::\d+)?(?: I=\S+)?(?: Ci=\d+)? "
                r"(?:AUTH command used when not advertised"
                r"|\S+ authentication mechanism not supported)",
                needle="SMTP protocol error",
            ),
            FailurePattern(
                r"SMTP protocol synchronization error \(.*?\): rejected .*? " + host,
                needle="synchronization error",
            ),
            FailurePattern(
                r"SMTP call from " + _BRACKETED + r"(?::\d+)?(?: I=\S+)? dropped: too many "
                r"(?:nonmail|unrecognized|syntax or protocol)",
                needle="SMTP call from",
            ),
            FailurePattern(
                r"no MAIL in SMTP connection from " + _BRACKETED, needle="no MAIL in SMTP"
            ),
            FailurePattern(
                r"SMTP connection from " + _BRACKETED + r"(?::\d+)?(?: I=\S+)? "
                r"closed by DROP in ACL",
                needle="closed by DROP",
            ),
            FailurePattern(
                host + r"(?::\d+)? sender verify fail for", needle="sender verify fail for"
            ),
            FailurePattern(
                host + r"(?::\d+)?.*? rejected RCPT .*: "
                r"(?:relay not permitted|Sender verify failed|Unrouteable address)",
                needle="rejected RCPT",
            ),
            FailurePattern(
                r"no IP address found for host \S+ \(during SMTP connection from "
                r"\[" + _ADDRESS + r"\]",
                "probe",
                needle="no IP address found",
            ),
        ),
    )


_DOVECOT_ATTEMPT = re.compile(
    r"\((?:auth failed, \d+ attempts?(?: in \d+ secs?)?|tried to use (?:disabled|disallowed) "
    r"[\w-]+ auth|proxy dest auth failed)\)"
)
_DOVECOT_PROBE = re.compile(
    r"\((?:no auth attempts(?: in \d+ secs?)?|client didn't finish SASL auth[^()]*"
    r"|disconnected during TLS handshake)\)"
)
_DOVECOT_BACKEND = re.compile(
    r"(?:pam|sql|passwd-file|ldap|shadow|passwd|checkpassword|bsdauth|auth)"
    r"\((?P<user>[^,()]*),(?P<addr>[^,()<>]+)(?:,[^()]*)?\)(?:<[^>]*>)?: (?:Info: )?(?:\w+: )?"
    r"(?:pam_authenticate\(\) failed|unknown user|[Pp]assword mismatch)"
)
_RIP = re.compile(r"\brip=(?P<addr>[^,\s]+)")
_LOGIN_USER = re.compile(r"\buser=<(?P<user>[^>]*)>")


class DovecotRecogniser:
    product = "dovecot"
    programs = frozenset(
        {
            "dovecot",
            "imap-login",
            "pop3-login",
            "managesieve-login",
            "submission-login",
            "lmtp",
            "auth",
            "auth-worker",
            "dovecot-auth",
        }
    )
    _LOGSOURCE = LogSource(product="linux", service="dovecot")

    def recognise(self, envelope: Envelope) -> Recognised | None:
        owned = owns_program(envelope.program, self.programs)
        text = text_of(envelope, self.programs)
        failure = self._failure(text)
        if failure is None and not owned:
            return None
        fields: dict[str, object] = {"message": text}
        if failure is not None:
            fields.update({"outcome": "failure", "source_address": failure.source_address})
            if failure.account:
                fields["user"] = failure.account
        return Recognised(self.product, self._LOGSOURCE, fields, failure)

    def _failure(self, text: str) -> Failure | None:
        backend = _DOVECOT_BACKEND.search(text)
        if backend:
            address = normalise_address(backend.group("addr"))
            if address:
                return Failure(address, clean_account(backend.group("user")), text[:200], "attempt")
        for marker, failure_class in ((_DOVECOT_ATTEMPT, "attempt"), (_DOVECOT_PROBE, "probe")):
            found = marker.search(text)
            if found is None:
                continue
            rip = _RIP.search(text, found.end())
            if rip is None:
                continue
            address = normalise_address(rip.group("addr"))
            if address is None:
                continue
            user = _LOGIN_USER.search(text, found.end())
            account = clean_account(user.group("user")) if user else None
            return Failure(address, account, text[:200], failure_class)
        return None
