"""What a DNS check verifies of DNSSEC when asked.

Two things: the resolver says it validated the answer (the AD flag, asked for in
the query), and the answer's RRSIG verifies against the zone's DNSKEY set as
served by the same resolver. The chain of trust above the zone (DS records up to
the root) is the validating resolver's job and is vouched for by the AD flag only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import dns.dnssec
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rdatatype

from garrison.i18n import gettext as _

Query = Callable[[dns.message.Message], Awaitable[dns.message.Message]]


async def judge_dnssec(
    response: dns.message.Message, record_type: str, *, query: Query, now: datetime
) -> tuple[list[str], dict[str, Any]]:
    """Failures (plain words) and evidence about the DNSSEC state of ``response``."""
    wanted = dns.rdatatype.from_text(record_type)
    authenticated = bool(response.flags & dns.flags.AD)
    evidence: dict[str, Any] = {"ad": authenticated, "signed": False, "signature_valid": None}
    failures: list[str] = []
    if not authenticated:
        failures.append(_("the resolver did not vouch for the answer (no DNSSEC AD flag)"))
    answer = next((rrset for rrset in response.answer if rrset.rdtype == wanted), None)
    signatures = next(
        (
            rrset
            for rrset in response.answer
            if rrset.rdtype == dns.rdatatype.RRSIG and rrset.covers == wanted
        ),
        None,
    )
    if answer is None:
        return failures, evidence
    if signatures is None:
        failures.append(_("the answer carries no DNSSEC signature"))
        return failures, evidence
    evidence["signed"] = True
    signer: dns.name.Name = next(iter(signatures)).signer
    keys_query = dns.message.make_query(signer, dns.rdatatype.DNSKEY, want_dnssec=True)
    keys_response = await query(keys_query)
    keys = next((r for r in keys_response.answer if r.rdtype == dns.rdatatype.DNSKEY), None)
    if keys is None:
        failures.append(
            _("the zone {zone} served no DNSKEY to verify the signature").format(zone=signer)
        )
        return failures, evidence
    try:
        dns.dnssec.validate(answer, signatures, {signer: keys}, now=now.timestamp())
    except dns.exception.ValidationFailure as error:
        evidence["signature_valid"] = False
        failures.append(_("the DNSSEC signature does not verify: {problem}").format(problem=error))
    else:
        evidence["signature_valid"] = True
    return failures, evidence


def ask_for_dnssec(message: dns.message.Message) -> None:
    message.use_edns(edns=0, ednsflags=dns.flags.DO, payload=1232)
    message.flags |= dns.flags.AD
