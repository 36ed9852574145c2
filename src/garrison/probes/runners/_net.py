"""Name resolution and TLS contexts shared by the runners."""

from __future__ import annotations

import asyncio
import ipaddress
import os
import socket
import ssl
from functools import lru_cache

from garrison.i18n import gettext as _
from garrison.probes.runners._outcome import ProbeFailure, Trace

MAX_ADDRESSES = 4


@lru_cache(maxsize=16_384)
def ip_literal(host: str) -> str | None:
    """The address itself when ``host`` is an IP literal (brackets allowed), else None."""
    candidate = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


async def resolve(
    host: str, port: int, trace: Trace, *, kind: socket.SocketKind = socket.SOCK_STREAM
) -> list[tuple[socket.AddressFamily, str]]:
    """Addresses of ``host``: no lookup for an IP literal, else the system resolver (phase dns)."""
    literal = ip_literal(host)
    if literal is not None:
        family = socket.AF_INET6 if ":" in literal else socket.AF_INET
        return [(family, literal)]
    trace.step = "resolve"
    trace.restart_phase()
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=kind)
    except socket.gaierror as error:
        raise ProbeFailure(
            _("cannot resolve {host}: {problem}").format(host=host, problem=error.strerror)
        ) from error
    finally:
        trace.end_phase("dns")
    addresses: list[tuple[socket.AddressFamily, str]] = []
    for family, _kind, _proto, _name, sockaddr in infos:
        entry = (family, str(sockaddr[0]))
        if entry not in addresses:
            addresses.append(entry)
    if not addresses:
        raise ProbeFailure(_("cannot resolve {host}: no address").format(host=host))
    return addresses[:MAX_ADDRESSES]


def tls_context(*, verify: bool = True, ca_file: str | None = None) -> ssl.SSLContext:
    """A client context trusting the system store (or only ``ca_file``), checking the name.

    With ``verify`` off, neither chain nor name is checked.

    Contexts are cached: building one reads the trust store, which costs milliseconds.
    A changed ``ca_file`` is noticed by its modification time.
    """
    if not verify:
        return unverified_context()
    stamp = 0
    if ca_file is not None:
        try:
            stamp = os.stat(ca_file).st_mtime_ns
        except OSError as error:
            raise ProbeFailure(
                _("ca_file {path} cannot be read: {problem}").format(
                    path=ca_file, problem=error.strerror
                )
            ) from error
    return _cached_context(verify, ca_file, stamp)


@lru_cache(maxsize=64)
def _cached_context(verify: bool, ca_file: str | None, stamp: int) -> ssl.SSLContext:
    if ca_file is None:
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    else:
        # With a ca_file, only that bundle is trusted, not the system store.
        try:
            context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca_file)
        except ssl.SSLError as error:
            raise ProbeFailure(
                _("ca_file {path} is not a PEM bundle of certificates").format(path=ca_file)
            ) from error
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def unverified_context() -> ssl.SSLContext:
    return _cached_context(False, None, 0)


async def open_stream(
    host: str,
    port: int,
    trace: Trace,
    *,
    tls: ssl.SSLContext | None = None,
    server_name: str | None = None,
    limit: int = 65_536,
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A connection (phase connect) to the first address that answers, then TLS (phase tls)."""
    addresses = await resolve(host, port, trace)
    trace.step = "connect"
    trace.restart_phase()
    last_error: OSError | None = None
    for _family, address in addresses:
        try:
            reader, writer = await asyncio.open_connection(address, port, limit=limit)
        except OSError as error:
            last_error = error
            continue
        trace.end_phase("connect")
        if tls is not None:
            trace.step = "tls"
            try:
                await writer.start_tls(tls, server_hostname=server_name or ip_literal(host) or host)
            except BaseException:
                writer.transport.abort()
                raise
            trace.end_phase("tls")
        return reader, writer
    assert last_error is not None
    raise last_error
