"""TLS checks: handshake, chain and hostname, expiry, issuer and public-key pins.

Days left are counted from the run's start (``RunContext.started_at``); whether the
certificate is valid *now* is OpenSSL's verdict at the handshake. When verification
fails, a second handshake without verification collects the certificate's facts
for the evidence (best effort, within the same deadline).
"""

from __future__ import annotations

import contextlib
import ssl
from typing import Any

from garrison.config.checks import TlsCheck
from garrison.i18n import gettext as _
from garrison.probes.results import CheckResult, RunContext
from garrison.probes.runners._certificates import CertificateFacts, certificate_facts
from garrison.probes.runners._net import open_stream, tls_context, unverified_context
from garrison.probes.runners._outcome import ProbeFailure, Trace, describe_os_error, guarded


async def run_tls_check(check: TlsCheck, *, run: RunContext) -> CheckResult:
    trace = Trace()
    return await guarded(
        _run(check, run, trace), deadline=check.timeout, run=run, trace=trace, check_id=check.id
    )


async def _run(check: TlsCheck, run: RunContext, trace: Trace) -> CheckResult:
    context = tls_context(verify=True, ca_file=check.ca_file)
    try:
        der, session = await _handshake(check, context, trace)
    except ssl.SSLCertVerificationError as error:
        evidence: dict[str, Any] = {"verified": False}
        with contextlib.suppress(OSError, ProbeFailure):
            der, _session = await _handshake(check, unverified_context(), Trace())
            evidence.update(certificate_facts(der).evidence(run.started_at))
        raise ProbeFailure(describe_os_error(error), **evidence) from error
    facts = certificate_facts(der)
    details = {**facts.evidence(run.started_at), **session, "verified": True}
    failures = _judge(check, facts, run)
    if failures:
        return trace.result(run, ok=False, reason="; ".join(failures), details=details)
    days_left = facts.days_left(run.started_at)
    if days_left < check.warn_days:
        details["warning"] = _expiry_words(facts, run)
        return trace.result(run, ok=True, details=details, severity="warning")
    return trace.result(run, ok=True, details=details)


async def _handshake(
    check: TlsCheck, context: ssl.SSLContext, trace: Trace
) -> tuple[bytes, dict[str, Any]]:
    _reader, writer = await open_stream(
        check.host, check.port, trace, tls=context, server_name=check.server_name
    )
    try:
        ssl_object = writer.get_extra_info("ssl_object")
        der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
        if not der:
            raise ProbeFailure(_("the server sent no certificate"))
        cipher = ssl_object.cipher()
        session = {"tls_version": ssl_object.version(), "cipher": cipher[0] if cipher else None}
        return der, session
    finally:
        writer.transport.abort()


def _judge(check: TlsCheck, facts: CertificateFacts, run: RunContext) -> list[str]:
    failures: list[str] = []
    if facts.days_left(run.started_at) < check.critical_days:
        failures.append(_expiry_words(facts, run))
    if check.expect_issuer is not None and check.expect_issuer.casefold() not in (
        facts.issuer.casefold()
    ):
        failures.append(
            _("the issuer is {issuer!r}, expected it to contain {expected!r}").format(
                issuer=facts.issuer, expected=check.expect_issuer
            )
        )
    if check.spki_pin_sha256 and facts.spki_pin_sha256 not in check.spki_pin_sha256:
        failures.append(
            _("the public key {pin} matches none of the pinned keys").format(
                pin=facts.spki_pin_sha256
            )
        )
    return failures


def _expiry_words(facts: CertificateFacts, run: RunContext) -> str:
    return _("the certificate expires in {days} days ({date})").format(
        days=facts.days_left(run.started_at), date=facts.not_after.date().isoformat()
    )
