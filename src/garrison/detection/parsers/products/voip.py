"""Telephony: Asterisk (chan_sip, PJSIP, IAX2, AMI, security log) and FreeSWITCH."""

from __future__ import annotations

import re

from garrison.detection.parsers.base import Failure, Recognised, clean_account, normalise_address
from garrison.detection.parsers.envelope import Envelope
from garrison.detection.parsers.products.common import (
    FailurePattern,
    PatternRecogniser,
    owns_program,
    strip_inner_time,
    text_of,
)
from garrison.detection.records import LogSource

_SECURITY_EVENT = re.compile(
    r'SecurityEvent="(?:FailedACL|InvalidAccountID|ChallengeResponseFailed|InvalidPassword)"'
    r'.*RemoteAddress="IPV[46]/\w+/(?P<addr>[^/"]+)/\d+"'
)
_ACCOUNT_ID = re.compile(r'AccountID="(?P<user>[^"]*)"')
_LEVEL = re.compile(r"^(?P<level>[A-Z]+) ?\[(?P<thread>\d+)\]")


class AsteriskRecogniser(PatternRecogniser):
    def __init__(self) -> None:
        super().__init__(
            product="asterisk",
            logsource=LogSource(product="asterisk", service="asterisk"),
            programs=frozenset({"asterisk"}),
            patterns=(
                FailurePattern(
                    r"Registration from '(?:[^']{0,255}?sip:(?P<user>[^@'>]{0,255})@)?[^']{0,255}' "
                    r"failed for '(?P<addr>[^']{1,255})' - (?:Wrong password|No matching peer found"
                    r"|Username/auth name mismatch|Device does not match ACL|Peer is not supposed "
                    r"to register|ACL error|Not a local domain)",
                    needle="Registration from",
                ),
                FailurePattern(
                    r"(?<!\S)(?P<addr>\S{1,255}) failed to authenticate as '(?P<user>[^']{0,255})'",
                    needle="failed to authenticate as",
                ),
                FailurePattern(
                    r"No registration for peer '(?P<user>[^']{0,255})' "
                    r"\(from (?P<addr>[^)]{1,255})\)",
                    needle="No registration for peer",
                ),
                FailurePattern(
                    r"Call from '[^']{0,255}' \((?:(?:TCP|UDP|TLS|WSS?):)?(?P<addr>[^)]{1,255}?)"
                    r"(?::\d+)?\) to extension '[^']*' rejected because extension not found",
                    needle="rejected because extension not found",
                ),
                FailurePattern(
                    r"hacking attempt detected '(?P<addr>[^']{1,255})'", needle="hacking attempt"
                ),
                FailurePattern(
                    r'Rejecting unknown SIP connection from (?P<addr>[^"\s]+)',
                    needle="Rejecting unknown SIP connection",
                ),
                FailurePattern(
                    r"Request (?:'[^']{0,64}' )?from '.*?' failed for '(?P<addr>[^']{1,255})' "
                    r"\(callid: [^)]*\) - (?:No matching endpoint found|Not match Endpoint "
                    r"(?:Contact )?ACL|Failed to authenticate|Error to authenticate)",
                    needle="' failed for '",
                ),
            ),
        )

    def recognise(self, envelope: Envelope) -> Recognised | None:
        recognised = super().recognise(envelope)
        if recognised is None:
            recognised = self._security_event(envelope)
        if recognised is not None:
            level = _LEVEL.match(str(recognised.fields.get("message", "")))
            if level:
                recognised.fields["level"] = level.group("level")
        return recognised

    def _security_event(self, envelope: Envelope) -> Recognised | None:
        text = text_of(envelope, self.programs)
        match = _SECURITY_EVENT.search(text) if "SecurityEvent=" in text else None
        address = normalise_address(match.group("addr")) if match else None
        if address is None:
            return None
        account_match = _ACCOUNT_ID.search(text)
        account = clean_account(account_match.group("user")) if account_match else None
        if account == "<unknown>":
            account = None
        fields: dict[str, object] = {
            "message": text,
            "outcome": "failure",
            "source_address": address,
        }
        if account:
            fields["user"] = account
        return Recognised(
            self.product,
            LogSource(product="asterisk", service="asterisk"),
            fields,
            Failure(address, account, text[:200], "attempt"),
        )


_FREESWITCH_LOAD = re.compile(r"^\d{1,3}\.\d{2}% ")


def _freeswitch_text(text: str) -> str:
    text = strip_inner_time(text)
    return _FREESWITCH_LOAD.sub("", text, count=1)


class FreeswitchRecogniser(PatternRecogniser):
    def __init__(self) -> None:
        super().__init__(
            product="freeswitch",
            logsource=LogSource(product="freeswitch", service="freeswitch"),
            programs=frozenset({"freeswitch"}),
            patterns=(
                FailurePattern(
                    r"SIP auth (?:failure|challenge) \((?:REGISTER|INVITE)\) on sofia profile "
                    r"'[^']{1,255}' for \[(?P<user>[^@\]]{0,255})@[^\]]{0,255}\] from ip "
                    r"(?P<addr>\S+)",
                    needle="SIP auth",
                ),
                FailurePattern(
                    r"Can't find user \[(?P<user>[^@\]]{0,255})@[^\]]{0,255}\] from (?P<addr>\S+)",
                    needle="Can't find user",
                ),
            ),
            text=_freeswitch_text,
        )

    def recognise(self, envelope: Envelope) -> Recognised | None:
        if not owns_program(envelope.program, self.programs) and "sofia" not in envelope.rest:
            return None
        return super().recognise(envelope)
