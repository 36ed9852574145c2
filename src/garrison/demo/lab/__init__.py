"""The demo lab: stand-ins for an event's systems on 127.0.0.1, failing on a script."""

from garrison.demo.lab.certificates import LabCertificate
from garrison.demo.lab.datagram_target import DatagramTarget
from garrison.demo.lab.defaults import (
    BEHIND_CORE_SWITCH,
    CORE_SWITCH,
    DEFAULT_LAB_PORTS,
    DEFAULT_SCHEDULE,
    DNS_SERVER,
    EVENT_PORTAL,
    EVENT_PORTAL_TLS,
    INTRANET,
    LINK_BACKUP,
    LINK_PRIMARY,
    MAIL_RELAY,
    PHONE_EXCHANGE,
    PRESS_CENTRE,
    PRESS_STREAM,
    PRESS_WIFI,
    SIEM_COLLECTOR,
    TIME_SERVER,
    VIDEO_BRIDGE,
    WEBMAIL,
    default_lab,
)
from garrison.demo.lab.dns_server import DnsServer
from garrison.demo.lab.errors import (
    InvalidScheduleError,
    LabError,
    ListenError,
    UnknownTargetError,
    UnsupportedFaultError,
)
from garrison.demo.lab.faults import FaultSchedule, FaultWindow
from garrison.demo.lab.http_site import HttpSite
from garrison.demo.lab.lab import DemoLab
from garrison.demo.lab.listening_target import ListeningTarget
from garrison.demo.lab.sip_exchange import SipExchange
from garrison.demo.lab.site_pages import SitePage
from garrison.demo.lab.smtp_relay import SmtpRelay
from garrison.demo.lab.stream_target import StreamTarget
from garrison.demo.lab.syslog_collector import SyslogCollector
from garrison.demo.lab.targets import LAB_HOST, FaultKind, LabTarget, TargetStatus
from garrison.demo.lab.tcp_service import TcpService
from garrison.demo.lab.time_server import TimeServer

__all__ = [
    "BEHIND_CORE_SWITCH",
    "CORE_SWITCH",
    "DEFAULT_LAB_PORTS",
    "DEFAULT_SCHEDULE",
    "DNS_SERVER",
    "EVENT_PORTAL",
    "EVENT_PORTAL_TLS",
    "INTRANET",
    "LAB_HOST",
    "LINK_BACKUP",
    "LINK_PRIMARY",
    "MAIL_RELAY",
    "PHONE_EXCHANGE",
    "PRESS_CENTRE",
    "PRESS_STREAM",
    "PRESS_WIFI",
    "SIEM_COLLECTOR",
    "TIME_SERVER",
    "VIDEO_BRIDGE",
    "WEBMAIL",
    "DatagramTarget",
    "DemoLab",
    "DnsServer",
    "FaultKind",
    "FaultSchedule",
    "FaultWindow",
    "HttpSite",
    "InvalidScheduleError",
    "LabCertificate",
    "LabError",
    "LabTarget",
    "ListenError",
    "ListeningTarget",
    "SipExchange",
    "SitePage",
    "SmtpRelay",
    "StreamTarget",
    "SyslogCollector",
    "TargetStatus",
    "TcpService",
    "TimeServer",
    "UnknownTargetError",
    "UnsupportedFaultError",
    "default_lab",
]
