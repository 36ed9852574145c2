"""An administrator logging in from an address never seen before for that account.

A successful login is recognised from the normalised fields (``outcome: success`` with
``user``/``account``, as the sshd parser writes) or from Windows logon events (4624).
The pairs (account, address) already seen are kept in memory, bounded, and handed to
the caller as they are learned (:meth:`drain_learned`) so that the worker stores them:
after a restart :meth:`preload` brings them back and nothing alerts again.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from garrison.detection.detectors.base import BoundedState, detector_rule
from garrison.detection.findings import Finding, FindingKind, event_time
from garrison.detection.records import LogEvent
from garrison.i18n import gettext as _

MAX_KNOWN_PAIRS = 100_000
_FROM_ADDRESS = re.compile(r"\bfrom\s+\[?(?P<address>[0-9A-Fa-f.:]{3,45})\]?")
_ACCOUNT_FIELDS = ("account", "user", "TargetUserName", "cs-username", "username")
_ADDRESS_FIELDS = ("source_address", "IpAddress", "c-ip", "src_ip", "client_ip")
_WINDOWS_LOGON = 4624

RULE = detector_rule(
    "garrison-admin-login-new-address",
    "Administrator login from a new address",
    level="high",
    category="unauthorised_access",
    description="A privileged account logged in from an address it never used before.",
)


@dataclass(frozen=True, slots=True)
class LearnedAddress:
    account: str
    address: str
    at: datetime


class AdminLoginDetector:
    name = "admin_login"

    def __init__(self, *, admin_accounts: Sequence[str]) -> None:
        self.admin_accounts = frozenset(account.lower() for account in admin_accounts)
        self.known: BoundedState[tuple[str, str], datetime] = BoundedState(MAX_KNOWN_PAIRS)
        self._learned: list[LearnedAddress] = []

    def preload(self, pairs: Iterable[tuple[str, str, datetime]]) -> None:
        for account, address, seen_at in pairs:
            self.known.put((account.lower(), address), seen_at)

    def drain_learned(self) -> list[LearnedAddress]:
        learned, self._learned = self._learned, []
        return learned

    def evaluate(self, event: LogEvent, *, seq: int) -> list[Finding]:
        login = _successful_login(event)
        if login is None:
            return []
        account, address = login
        if account.lower() not in self.admin_accounts:
            return []
        key = (account.lower(), address)
        moment = event_time(event)
        first_time = self.known.get(key) is None
        self.known.put(key, moment)
        if not first_time:
            return []
        self._learned.append(LearnedAddress(account.lower(), address, moment))
        summary = _("%(account)s logged in from %(address)s for the first time") % {
            "account": account,
            "address": address,
        }
        return [
            Finding(
                rule=RULE,
                kind=FindingKind.DETECTOR,
                at=moment,
                events=(event,),
                event_seqs=(seq,),
                matched_fields={"account": account, "source_address": address},
                group=(("account", account.lower()), ("source_address", address)),
                summary=summary,
                source_address=address,
            )
        ]


def _successful_login(event: LogEvent) -> tuple[str, str] | None:
    if event.kind != "log":
        return None
    fields = event.fields
    outcome = fields.get("outcome")
    windows_logon = fields.get("EventID") == _WINDOWS_LOGON and fields.get("Channel") == "Security"
    if not windows_logon and not (isinstance(outcome, str) and outcome.lower() == "success"):
        return None
    account = _first_text(fields, _ACCOUNT_FIELDS)
    address = _first_text(fields, _ADDRESS_FIELDS)
    if address is None:
        message = fields.get("message") if isinstance(fields.get("message"), str) else event.raw
        found = _FROM_ADDRESS.search(str(message or ""))
        address = found.group("address") if found else None
    address = _valid_address(address)
    if account is None or address is None:
        return None
    return account, address


def _first_text(fields: dict[str, object], names: Sequence[str]) -> str | None:
    for name in names:
        value = fields.get(name)
        if isinstance(value, str) and value.strip() and value.strip() != "-":
            return value.strip()[:200]
    return None


def _valid_address(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        address = ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None
    if address.is_loopback:
        return None
    return str(address)
