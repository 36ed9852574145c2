"""The demo lab: stand-ins for an event's systems on 127.0.0.1, failing on a script."""

from garrison.demo.lab.defaults import (
    CORE_SWITCH,
    DEFAULT_LAB_PORTS,
    DEFAULT_SCHEDULE,
    EVENT_PORTAL,
    LINK_BACKUP,
    LINK_PRIMARY,
    PRESS_CENTRE,
    default_lab,
)
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
from garrison.demo.lab.site_pages import SitePage
from garrison.demo.lab.stream_target import StreamTarget
from garrison.demo.lab.targets import LAB_HOST, FaultKind, LabTarget, TargetStatus
from garrison.demo.lab.tcp_service import TcpService

__all__ = [
    "CORE_SWITCH",
    "DEFAULT_LAB_PORTS",
    "DEFAULT_SCHEDULE",
    "EVENT_PORTAL",
    "LAB_HOST",
    "LINK_BACKUP",
    "LINK_PRIMARY",
    "PRESS_CENTRE",
    "DemoLab",
    "FaultKind",
    "FaultSchedule",
    "FaultWindow",
    "HttpSite",
    "InvalidScheduleError",
    "LabError",
    "LabTarget",
    "ListenError",
    "SitePage",
    "StreamTarget",
    "TargetStatus",
    "TcpService",
    "UnknownTargetError",
    "UnsupportedFaultError",
    "default_lab",
]
