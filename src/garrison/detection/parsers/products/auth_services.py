"""PAM, the FTP daemons (vsftpd, proftpd, pure-ftpd) and OpenVPN."""

from __future__ import annotations

import re
from dataclasses import replace

from garrison.detection.parsers.base import Failure, Recognised, clean_account, normalise_address
from garrison.detection.parsers.envelope import Envelope
from garrison.detection.parsers.products.common import (
    FailurePattern,
    PatternRecogniser,
    text_of,
)
from garrison.detection.records import LogSource

_PAM_FAILURE = re.compile(
    r"(?:pam_unix(?:\((?P<service>[\w.-]*)(?::\w+)?\))?:? |\(pam_unix\) )"
    r"authentication failure;(?P<details>.*)$"
)
_RHOST = re.compile(r"\brhost=(?P<addr>\S+)")
_USER = re.compile(r"\buser=(?P<user>\S+)")
_RUSER = re.compile(r"\bruser=(?P<user>\S+)")


class PamRecogniser:
    """``pam_unix`` authentication failures, whichever program logged them.

    The product reported is the PAM service (``pam_unix(dovecot:auth)`` → dovecot) or the
    program. sshd's own ``pam_unix(sshd:auth)`` lines are left to sshd's ``Failed …``.
    """

    product = "pam"
    programs = frozenset({"pam", "login", "su", "sudo", "auth"})
    _LOGSOURCE = LogSource(product="linux", service="auth")

    def recognise(self, envelope: Envelope) -> Recognised | None:
        text = text_of(envelope, self.programs)
        match = _PAM_FAILURE.search(text)
        if match is None:
            return None
        service = (match.group("service") or "").lower()
        program = (envelope.program or "").lower().split("(", 1)[0].split("[", 1)[0]
        if service == "sshd" or (not service and program == "sshd" and "pam_unix(" in text):
            return None
        details = match.group("details")
        hosts = _RHOST.findall(details)
        address = normalise_address(hosts[-1]) if hosts else None
        if address is None:
            return None
        user = _USER.search(details) or _RUSER.search(details)
        account = clean_account(user.group("user")) if user else None
        product = service if service and service not in {"auth", "other"} else program or "pam"
        fields: dict[str, object] = {
            "message": text,
            "outcome": "failure",
            "source_address": address,
            "pam_service": service or None,
        }
        if account:
            fields["user"] = account
        return Recognised(
            product, self._LOGSOURCE, fields, Failure(address, account, text[:200], "attempt")
        )


def vsftpd() -> PatternRecogniser:
    return PatternRecogniser(
        product="vsftpd",
        logsource=LogSource(product="linux", service="vsftpd"),
        programs=frozenset({"vsftpd"}),
        patterns=(
            FailurePattern(
                r'(?:\[(?P<user>[^\]\[]{0,256})\] )?FAIL LOGIN: Client "(?P<addr>[^"]{1,255})"',
                needle="FAIL LOGIN",
            ),
            # vsftpd under its own name, or the old "vsftpd(pam_unix)" tag, without a marker.
            FailurePattern(
                r"^authentication failure;.*\brhost=(?P<addr>\S+)", needle="authentication failure"
            ),
        ),
    )


def proftpd() -> PatternRecogniser:
    client = r"\([^\s()\[\]]{0,255}\[(?P<addr>[^\]\s]{1,255})\]\)[: -]+"
    return PatternRecogniser(
        product="proftpd",
        logsource=LogSource(product="linux", service="proftpd"),
        programs=frozenset({"proftpd"}),
        patterns=(
            FailurePattern(
                client + r"USER (?P<user>[^\s:]+)(?: \(Login failed\):|: no such user found)",
                needle="USER ",
            ),
            FailurePattern(
                client + r"SECURITY VIOLATION: (?P<user>\S+) login attempted",
                needle="SECURITY VIOLATION",
            ),
            FailurePattern(
                client + r"Maximum login attempts \(\d+\) exceeded",
                needle="Maximum login attempts",
            ),
        ),
    )


def pure_ftpd() -> PatternRecogniser:
    return PatternRecogniser(
        product="pure-ftpd",
        logsource=LogSource(product="linux", service="pure-ftpd"),
        programs=frozenset({"pure-ftpd"}),
        patterns=(
            FailurePattern(
                r"\(\?@(?P<addr>[^)]+)\) \[WARNING\] Authentication failed for user "
                r"\[(?P<user>[^\]]*)\]",
                needle="Authentication failed for user",
            ),
        ),
    )


class OpenVpnRecogniser(PatternRecogniser):
    """OpenVPN: refused certificates and passwords, broken TLS, forced resets."""

    def __init__(self) -> None:
        peer = r"^(?:(?P<user>[^/\s]{1,255})/)?(?:\[AF_INET6?\])?(?P<addr>\S{1,255}):\d+ "
        super().__init__(
            product="openvpn",
            logsource=LogSource(product="linux", service="openvpn"),
            programs=frozenset({"openvpn", "ovpn-server", "ovpn-client"}),
            patterns=(
                FailurePattern(peer + r"TLS Auth Error", needle="TLS Auth Error"),
                FailurePattern(peer + r"VERIFY ERROR", needle="VERIFY ERROR"),
                FailurePattern(
                    peer + r"TLS Error: TLS handshake failed", needle="handshake failed"
                ),
                FailurePattern(
                    r"TLS Error: (?:cannot locate HMAC in incoming packet|incoming packet "
                    r"authentication failed) from \[AF_INET6?\](?P<addr>\S+):\d+",
                    needle="TLS Error",
                ),
                FailurePattern(
                    peer + r"SIGUSR1\[soft,connection-reset\] received, client-instance restarting",
                    needle="SIGUSR1",
                ),
            ),
        )

    def recognise(self, envelope: Envelope) -> Recognised | None:
        program = (envelope.program or "").lower()
        if program.startswith("ovpn-") or program.startswith("openvpn"):
            envelope = replace(envelope, program="openvpn")
        return super().recognise(envelope)


def courier() -> PatternRecogniser:
    return PatternRecogniser(
        product="courier",
        logsource=LogSource(product="linux", service="courier"),
        programs=frozenset(
            {
                "courier",
                "imapd",
                "imapd-ssl",
                "pop3d",
                "pop3d-ssl",
                "courierpop3login",
                "courierimaplogin",
                "courieresmtpd",
                "courier-imap",
            }
        ),
        patterns=(
            FailurePattern(
                r"LOGIN FAILED, (?:user=(?P<user>[^,\s]*), )?(?:method=\S+, )?"
                r"ip=\[(?P<addr>[^\]]{1,255})\]",
                needle="LOGIN FAILED",
            ),
        ),
    )
