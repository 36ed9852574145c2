"""The demo event's lab: every service of examples/demo-event.yaml, with a script of faults.

Besides the services, the lab receives the event's notifications (a webhook sink)
and, a minute into every cycle, puts the event website's SSH server under brute force.

The schedule makes something visible within minutes of the demo's start, then
repeats every 20 minutes so that a demo joined late still sees it. The targets
of every service that depends on the core switch sit behind it: when the switch
goes down, they are cut off, and Garrison must show them UNREACHABLE, not DOWN.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterable, Mapping
from datetime import timedelta
from pathlib import Path
from types import MappingProxyType

from garrison.clock import Clock
from garrison.demo.lab.certificates import LabCertificate
from garrison.demo.lab.dns_server import DnsServer
from garrison.demo.lab.dns_zone import demo_zone
from garrison.demo.lab.errors import UnknownTargetError
from garrison.demo.lab.event_sites import (
    EVENT_PORTAL_PAGE,
    INTRANET_PAGE,
    PRESS_CENTRE_PAGE,
    PRESS_STREAM_PAGE,
    VIDEO_BRIDGE_PAGE,
    WEBMAIL_PAGE,
    press_stream_resources,
    video_bridge_resources,
)
from garrison.demo.lab.faults import FaultWindow
from garrison.demo.lab.http_site import HttpSite
from garrison.demo.lab.http_wire import Response
from garrison.demo.lab.lab import DemoLab
from garrison.demo.lab.sip_exchange import SipExchange
from garrison.demo.lab.site_pages import SitePage
from garrison.demo.lab.smtp_relay import SmtpRelay
from garrison.demo.lab.ssh_server import SshServer
from garrison.demo.lab.syslog_collector import SyslogCollector
from garrison.demo.lab.targets import FaultKind, LabTarget
from garrison.demo.lab.tcp_service import TcpService
from garrison.demo.lab.time_server import TimeServer
from garrison.demo.lab.webhook_sink import WebhookSink

EVENT_PORTAL = "event-portal"
EVENT_PORTAL_TLS = "event-portal-tls"
PRESS_CENTRE = "press-centre"
INTRANET = "intranet"
WEBMAIL = "webmail"
VIDEO_BRIDGE = "video-bridge"
PRESS_STREAM = "press-stream"
LINK_PRIMARY = "link-primary"
LINK_BACKUP = "link-backup"
CORE_SWITCH = "core-switch-mgmt"
PRESS_WIFI = "press-wifi-gateway"
DNS_SERVER = "dns-server"
PHONE_EXCHANGE = "phone-exchange"
MAIL_RELAY = "mail-relay"
SIEM_COLLECTOR = "siem-collector"
TIME_SERVER = "time-server"
WEB_SSH = "event-website-ssh"
WEBHOOK_SINK = "webhook-sink"

DEMO_SYSLOG_PORT = 18515
"""Where Garrison's demo syslog source listens (the demo event's ``detection.sources``)."""

DEFAULT_LAB_PORTS: Mapping[str, int] = MappingProxyType(
    {
        EVENT_PORTAL: 18080,
        PRESS_CENTRE: 18081,
        INTRANET: 18082,
        WEBMAIL: 18083,
        EVENT_PORTAL_TLS: 18443,
        VIDEO_BRIDGE: 18070,
        PRESS_STREAM: 18071,
        LINK_PRIMARY: 18022,
        LINK_BACKUP: 18023,
        CORE_SWITCH: 18010,
        PRESS_WIFI: 18030,
        DNS_SERVER: 18053,
        PHONE_EXCHANGE: 18060,
        MAIL_RELAY: 18025,
        SIEM_COLLECTOR: 18514,
        TIME_SERVER: 18123,
        WEB_SSH: 18222,
        WEBHOOK_SINK: 18900,
    }
)

BEHIND_CORE_SWITCH = (
    DNS_SERVER,
    EVENT_PORTAL,
    EVENT_PORTAL_TLS,
    PRESS_CENTRE,
    PHONE_EXCHANGE,
    VIDEO_BRIDGE,
    PRESS_STREAM,
    PRESS_WIFI,
    INTRANET,
)
"""The targets of the demo event's services that depend on ``core-switch``."""

_CYCLE = timedelta(minutes=20)


def _every_cycle(target: str, fault: FaultKind, start: float, minutes: float) -> FaultWindow:
    return FaultWindow(target, fault, timedelta(minutes=start), timedelta(minutes=minutes), _CYCLE)


DEFAULT_SCHEDULE: tuple[FaultWindow, ...] = (
    _every_cycle(WEB_SSH, FaultKind.ATTACK, 1, 0.5),
    _every_cycle(LINK_PRIMARY, FaultKind.DOWN, 2, 3),
    _every_cycle(DNS_SERVER, FaultKind.HIJACK, 4, 2),
    _every_cycle(PRESS_CENTRE, FaultKind.ERROR, 6, 2),
    _every_cycle(SIEM_COLLECTOR, FaultKind.DOWN, 8, 2),
    _every_cycle(EVENT_PORTAL, FaultKind.SLOW, 10, 1),
    _every_cycle(PHONE_EXCHANGE, FaultKind.ERROR, 11, 1.5),
    _every_cycle(MAIL_RELAY, FaultKind.ERROR, 12.5, 1),
    _every_cycle(CORE_SWITCH, FaultKind.DOWN, 14, 2),
    _every_cycle(PRESS_CENTRE, FaultKind.DEFACE, 17, 2),
)


def default_lab(
    clock: Clock,
    *,
    ports: Mapping[str, int] | None = None,
    slow_delay: float = 3.0,
    schedule: Iterable[FaultWindow] = DEFAULT_SCHEDULE,
    ca_file: Path | None = None,
    heartbeat_url: str | None = None,
    heartbeat_every: float = 10.0,
    syslog_port: int = DEMO_SYSLOG_PORT,
) -> DemoLab:
    """The demo event's lab.

    ``ports`` overrides the port of any target by name (0: any free). The lab's
    certificate authority is made now; ``ca_file`` is where its certificate is
    written for probes to trust. With ``heartbeat_url``, the SIEM collector calls
    it every ``heartbeat_every`` seconds while healthy. The event website's SSH
    server ships its log to Garrison's syslog on ``syslog_port``; the webhook sink
    receives the event's notifications.
    """
    chosen = dict(DEFAULT_LAB_PORTS)
    for name, port in (ports or {}).items():
        if name not in chosen:
            raise UnknownTargetError(f"the demo lab has no target {name!r}")
        chosen[name] = port
    certificate = LabCertificate.create(clock.now())
    if ca_file is not None:
        certificate.write_ca(ca_file)
    tls = certificate.server_context()

    def site(
        name: str,
        page: SitePage,
        *,
        extra: Mapping[str, Response] | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> HttpSite:
        return HttpSite(
            name=name,
            port=chosen[name],
            page=page,
            slow_delay=slow_delay,
            extra_resources=extra,
            ssl_context=ssl_context,
        )

    targets: tuple[LabTarget, ...] = (
        site(EVENT_PORTAL, EVENT_PORTAL_PAGE),
        site(EVENT_PORTAL_TLS, EVENT_PORTAL_PAGE, ssl_context=tls),
        site(PRESS_CENTRE, PRESS_CENTRE_PAGE),
        site(INTRANET, INTRANET_PAGE),
        site(WEBMAIL, WEBMAIL_PAGE),
        site(VIDEO_BRIDGE, VIDEO_BRIDGE_PAGE, extra=video_bridge_resources()),
        site(PRESS_STREAM, PRESS_STREAM_PAGE, extra=press_stream_resources()),
        TcpService(name=LINK_PRIMARY, port=chosen[LINK_PRIMARY]),
        TcpService(name=LINK_BACKUP, port=chosen[LINK_BACKUP]),
        TcpService(name=CORE_SWITCH, port=chosen[CORE_SWITCH]),
        TcpService(name=PRESS_WIFI, port=chosen[PRESS_WIFI]),
        DnsServer(name=DNS_SERVER, port=chosen[DNS_SERVER], zone=demo_zone()),
        SipExchange(name=PHONE_EXCHANGE, port=chosen[PHONE_EXCHANGE]),
        SmtpRelay(name=MAIL_RELAY, port=chosen[MAIL_RELAY], tls=tls),
        SyslogCollector(
            name=SIEM_COLLECTOR,
            port=chosen[SIEM_COLLECTOR],
            clock=clock,
            heartbeat_url=heartbeat_url,
            heartbeat_every=heartbeat_every,
        ),
        TimeServer(name=TIME_SERVER, port=chosen[TIME_SERVER], clock=clock),
        SshServer(name=WEB_SSH, port=chosen[WEB_SSH], clock=clock, syslog_port=syslog_port),
        WebhookSink(name=WEBHOOK_SINK, port=chosen[WEBHOOK_SINK]),
    )
    return DemoLab(
        targets, clock=clock, schedule=schedule, behind={CORE_SWITCH: BEHIND_CORE_SWITCH}
    )
