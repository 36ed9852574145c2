"""SMTP checks: banner, EHLO, STARTTLS (auto, require or off), capabilities, a polite QUIT."""

from __future__ import annotations

import contextlib
import re
import ssl

import aiosmtplib

from garrison.config.checks import SmtpCheck
from garrison.i18n import gettext as _
from garrison.probes.results import CheckResult, RunContext
from garrison.probes.runners._net import ip_literal, resolve, tls_context
from garrison.probes.runners._outcome import ProbeFailure, Trace, describe_os_error, guarded

SHOWN_CHARS = 200


async def run_smtp_check(check: SmtpCheck, *, run: RunContext) -> CheckResult:
    trace = Trace()
    return await guarded(
        _run(check, run, trace), deadline=check.timeout, run=run, trace=trace, check_id=check.id
    )


async def _run(check: SmtpCheck, run: RunContext, trace: Trace) -> CheckResult:
    banner_pattern = _pattern(check.expect_banner_regex)
    context = tls_context(verify=True, ca_file=check.ca_file)
    (_family, address), *_others = await resolve(check.host, check.port, trace)
    client = aiosmtplib.SMTP(
        hostname=address,
        port=check.port,
        local_hostname=check.ehlo_name,
        timeout=check.timeout,
        start_tls=False,
        tls_context=context,
    )
    trace.step = "banner"
    trace.restart_phase()
    try:
        await _converse(client, check, banner_pattern, trace)
    except aiosmtplib.SMTPException as error:
        client.close()
        raise _failure(error) from error
    except ProbeFailure:
        await _quit(client)
        raise
    except BaseException:
        client.close()  # out of time or cancelled: no goodbyes
        raise
    await _quit(client)
    return trace.result(run, ok=True)


async def _converse(
    client: aiosmtplib.SMTP, check: SmtpCheck, banner_pattern: re.Pattern[str] | None, trace: Trace
) -> None:
    greeting = await client.connect()
    trace.end_phase("connect")
    banner = greeting.message[:SHOWN_CHARS]
    trace.details["banner"] = banner
    if banner_pattern is not None and banner_pattern.search(greeting.message) is None:
        raise ProbeFailure(
            _("the banner {banner!r} does not match {pattern!r}").format(
                banner=banner, pattern=banner_pattern.pattern
            )
        )
    trace.step = "smtp"
    await client.ehlo()
    offered = "starttls" in client.esmtp_extensions
    trace.details["starttls_offered"] = offered
    if check.starttls == "require" and not offered:
        raise ProbeFailure(_("the server does not offer STARTTLS"))
    if check.starttls != "off" and offered:
        trace.step = "tls"
        trace.restart_phase()
        try:
            await client.starttls(server_hostname=ip_literal(check.host) or check.host)
        except ssl.SSLError as error:
            raise ProbeFailure(describe_os_error(error)) from error
        trace.end_phase("tls")
        trace.step = "smtp"
        await client.ehlo()
        trace.details["tls"] = True
    capabilities = sorted(client.esmtp_extensions)
    trace.details["capabilities"] = capabilities
    missing = [wanted for wanted in check.expect_capabilities if not _offers(client, wanted)]
    if missing:
        raise ProbeFailure(
            _("the server does not offer {missing}").format(missing=", ".join(missing))
        )


def _offers(client: aiosmtplib.SMTP, wanted: str) -> bool:
    """``SIZE`` is offered when listed; ``AUTH PLAIN`` when AUTH lists PLAIN among its values."""
    name, *values = wanted.lower().split()
    if name not in client.esmtp_extensions:
        return False
    offered_values = client.esmtp_extensions[name].lower().split()
    return all(value in offered_values for value in values)


async def _quit(client: aiosmtplib.SMTP) -> None:
    """A polite QUIT, bounded to one second; the connection is closed whatever happens."""
    try:
        if client.is_connected:
            with contextlib.suppress(aiosmtplib.SMTPException, OSError):
                await client.quit(timeout=1.0)
    finally:
        client.close()


def _failure(error: aiosmtplib.SMTPException) -> Exception:
    if isinstance(error, aiosmtplib.SMTPTimeoutError):
        return TimeoutError(str(error))
    if isinstance(error, aiosmtplib.SMTPServerDisconnected):
        return ProbeFailure(_("the server closed the connection"))
    if isinstance(error, aiosmtplib.SMTPResponseException) and error.code < 0:
        return ProbeFailure(
            _("not an SMTP answer: {message}").format(message=error.message.strip()[:SHOWN_CHARS])
        )
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return ProbeFailure(
            _("the server answered {code} {message}").format(
                code=error.code, message=error.message.strip()[:SHOWN_CHARS]
            )
        )
    cause = error.__cause__
    if isinstance(cause, OSError):
        return ProbeFailure(describe_os_error(cause))
    return ProbeFailure(_("SMTP failed: {problem}").format(problem=str(error)[:SHOWN_CHARS]))


def _pattern(expression: str | None) -> re.Pattern[str] | None:
    if expression is None:
        return None
    try:
        return re.compile(expression)
    except re.error as error:
        raise ProbeFailure(
            _("expect_banner_regex is not a valid regular expression: {problem}").format(
                problem=error
            )
        ) from error
