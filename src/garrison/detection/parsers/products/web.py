"""Web servers: access logs (common, combined, with virtual host) and nginx/Apache error logs.

Access log fields carry the names SigmaHQ's web rules use. ``cs-uri-query`` holds the
whole request target (path and query): SigmaHQ's webserver rules match paths in it as
often as query strings. ``cs-uri-stem`` is the path alone.
"""

from __future__ import annotations

import re
from typing import Any

from garrison.detection.parsers.base import Failure, Recognised, clean_account, normalise_address
from garrison.detection.parsers.envelope import Envelope
from garrison.detection.parsers.products.common import (
    MAX_MATCHED_CHARS,
    owns_program,
    strip_inner_time,
)
from garrison.detection.parsers.timestamps import parse_clf
from garrison.detection.records import LogSource

_QUOTED = r'"(?P<{name}>(?:[^"\\]|\\.)*)"'
_ACCESS = re.compile(
    r"^(?:(?P<vhost>[^\s\[\]\"]{1,255}) )?(?P<client>[^\s\[\]\"]{1,255}) (?P<ident>\S{1,255}) "
    r"(?P<user>.{1,255}?) \[(?P<time>[^\]]{1,64})\] "
    + _QUOTED.format(name="request")
    + r" (?P<status>\d{3}|-) "
    r"(?P<bytes>\d+|-)(?: "
    + _QUOTED.format(name="referer")
    + r" "
    + _QUOTED.format(name="agent")
    + r")?(?P<extra>.*)$"
)
_REQUEST = re.compile(r"^(?P<method>[A-Za-z]+) (?P<target>\S+)(?: (?P<version>[A-Z]+/[\d.]+))?$")
WEB_PROGRAMS = frozenset({"nginx", "apache", "apache2", "httpd"})


def parse_access(text: str, *, server: str, envelope: Envelope) -> Recognised | None:
    """A line of an access log in common or combined format, or ``None``."""
    match = _ACCESS.match(text[:MAX_MATCHED_CHARS])
    if match is None:
        return None
    fields: dict[str, Any] = {
        "c-ip": normalise_address(match.group("client")) or match.group("client")
    }
    if match.group("vhost"):
        fields["cs-host"] = match.group("vhost")
    user = match.group("user")
    if user != "-":
        fields["cs-username"] = user
    _request_fields(fields, _unescape(match.group("request")))
    if match.group("status") != "-":
        fields["sc-status"] = int(match.group("status"))
    if match.group("bytes") != "-":
        fields["sc-bytes"] = int(match.group("bytes"))
    referer, agent = match.group("referer"), match.group("agent")
    if referer not in (None, "-", ""):
        fields["cs-referer"] = _unescape(referer or "")
    if agent not in (None, "-", ""):
        fields["c-useragent"] = fields["cs-user-agent"] = _unescape(agent or "")
    timestamp = parse_clf(match.group("time"))
    product = server if server in {"nginx", "apache"} else "webserver"
    return Recognised(
        product,
        LogSource(product=None if product == "webserver" else product, category="webserver"),
        fields,
        None,
        timestamp=timestamp,
        host=envelope.host,
    )


def _request_fields(fields: dict[str, Any], request: str) -> None:
    fields["cs-request"] = request
    match = _REQUEST.match(request)
    if match is None:
        return
    target = match.group("target")
    path, _separator, _query = target.partition("?")
    fields.update(
        {
            "cs-method": match.group("method").upper(),
            "cs-uri": target,
            "c-uri": target,
            "cs-uri-stem": path,
            "cs-uri-query": target,
        }
    )
    if match.group("version"):
        fields["cs-version"] = match.group("version")


def _unescape(text: str) -> str:
    return text.replace('\\"', '"').replace("\\\\", "\\")


# --- error logs ---------------------------------------------------------------------

_APACHE_ERROR = re.compile(
    r"^\[(?:(?P<module>[\w-]*):)?(?P<level>[a-z]+\d?)\] (?:\[pid (?P<pid>\d+)(?::tid \d+)?\] )?"
    r"(?:\[(?:client|remote) (?P<client>[^\]]+)\] )?(?:(?P<code>AH\d{5}): )?(?P<message>.*)$"
)
_APACHE_FAILURES = re.compile(
    r"^(?:user (?P<u1>.*?) not found(?:: |$)"
    r"|user (?P<u2>.*?): auth(?:entication|orization) failure for "
    r"|Digest: user (?P<u3>\S+): password mismatch"
    r"|(?:Digest: )?user `(?P<u4>[^']*)' in realm `[^']*' not found"
    r"|client denied by server configuration"
    r"|client used wrong authentication scheme"
    r"|Authorization of user (?P<u5>\S+) to access .* failed"
    r"|(?:Digest: )?invalid nonce .* received - (?:length is not|user attempted time travel)"
    r"|(?:Digest: )?realm mismatch - got"
    r"|(?:Digest: )?unknown algorithm `"
    r"|Hostname \S+ provided via SNI and hostname \S+ provided via HTTP have no compatible"
    r"|No hostname was provided via SNI for a name based virtual host)"
)
_NGINX_ERROR = re.compile(
    r"^\[(?P<level>[a-z]+)\] (?P<pid>\d+)#(?P<tid>\d+): (?:\*(?P<cid>\d+) )?(?P<message>.*?)"
    r"(?:, client: (?P<client>[^,\s]+))?(?:, server: (?P<server>[^,]*))?"
    r'(?:, request: "(?P<request>[^"]*)")?(?:, upstream: "[^"]*")?'
    r'(?:, host: "(?P<host>[^"]*)")?(?:, referrer: "(?P<referrer>[^"]*)")?$'
)
_NGINX_FAILURES = re.compile(
    r'^(?:user "(?P<u1>[^"]*)":? (?:was not found in "[^"]*"|password mismatch)'
    r"|PAM: user '(?P<u2>[^']*)' - not authenticated: )"
)
_NGINX_PROBES = re.compile(
    r"^(?:SSL_do_handshake\(\) failed .* while SSL handshaking|SSL_read\(\) failed .*SSL alert)"
)
# What security-relevant web errors are, for rules and reports.
_ERROR_KINDS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), kind)
    for pattern, kind in (
        (r"limiting (?:requests|connections)|delaying request", "rate_limited"),
        (r"access forbidden by rule|client denied by server configuration", "forbidden"),
        (
            r"No such file or directory|File does not exist|script .*not found or unable to stat"
            r"|Primary script unknown",
            "not_found",
        ),
        (r"Invalid (?:URI|method) in request|URI too long|invalid URI path", "invalid_request"),
        (r"ignoring function definition attempt|error importing function definition", "shellshock"),
        (r"SSL_do_handshake|SSL_read\(\) failed|SSL alert", "tls_error"),
    )
)


def parse_apache_error(text: str, envelope: Envelope) -> Recognised | None:
    match = _APACHE_ERROR.match(text[:MAX_MATCHED_CHARS])
    if match is None:
        return None
    message = match.group("message")
    fields: dict[str, Any] = {"message": message, "level": match.group("level")}
    for name in ("module", "code"):
        if match.group(name):
            fields[name] = match.group(name)
    message, _sep, referer = message.partition(", referer: ")
    if referer:
        fields["cs-referer"] = referer
    address = normalise_address(match.group("client"))
    failure = None
    if address is not None:
        fields["c-ip"] = address
        failed = _APACHE_FAILURES.match(message)
        if failed is not None:
            account = clean_account(next((u for u in failed.groups() if u), None))
            probe = (match.group("module") or "").startswith("evasive")
            failure = Failure(address, account, message[:200], "probe" if probe else "attempt")
    _add_error_kind(fields, message)
    source = LogSource(product="apache", service="error", category="webserver")
    return Recognised("apache", source, fields, failure, host=envelope.host)


def parse_nginx_error(text: str, envelope: Envelope) -> Recognised | None:
    match = _NGINX_ERROR.match(strip_inner_time(text[:MAX_MATCHED_CHARS]))
    if match is None:
        return None
    message = match.group("message")
    fields: dict[str, Any] = {"message": message, "level": match.group("level")}
    if match.group("request"):
        _request_fields(fields, match.group("request"))
    if match.group("host"):
        fields["cs-host"] = match.group("host")
    if match.group("referrer"):
        fields["cs-referer"] = match.group("referrer")
    address = normalise_address(match.group("client"))
    failure = None
    if address is not None:
        fields["c-ip"] = address
        failed = _NGINX_FAILURES.match(message)
        if failed is not None:
            account = clean_account(failed.group("u1") or failed.group("u2"))
            failure = Failure(address, account, message[:200], "attempt")
        elif _NGINX_PROBES.match(message):
            failure = Failure(address, None, message[:200], "probe")
    _add_error_kind(fields, message)
    source = LogSource(product="nginx", service="error", category="webserver")
    return Recognised("nginx", source, fields, failure, host=envelope.host)


def _add_error_kind(fields: dict[str, Any], message: str) -> None:
    for pattern, kind in _ERROR_KINDS:
        if pattern.search(message):
            fields["error_kind"] = kind
            return


class WebRecogniser:
    """Access and error logs of nginx and Apache, bare or under their syslog program."""

    product = "webserver"
    programs = WEB_PROGRAMS

    def __init__(self, *, formats: tuple[str, ...], server: str = "webserver") -> None:
        self._formats = formats
        self._server = server

    def recognise(self, envelope: Envelope) -> Recognised | None:
        owned = owns_program(envelope.program, self.programs)
        text = envelope.message if owned else envelope.rest
        for kind in self._formats:
            found = self._parse(kind, text, envelope)
            if found is not None:
                return found
        return None

    def _parse(self, kind: str, text: str, envelope: Envelope) -> Recognised | None:
        if kind == "access":
            server = self._server
            if server == "webserver" and envelope.program:
                server = "apache" if envelope.program.lower() in {"httpd", "apache2"} else "nginx"
            return parse_access(text, server=server, envelope=envelope)
        if kind == "apache_error":
            return parse_apache_error(text, envelope)
        return parse_nginx_error(text, envelope)
