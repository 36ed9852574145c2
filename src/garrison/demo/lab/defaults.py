"""The demo event's lab: two web sites, two uplinks and a switch, with a script of faults.

The schedule makes something visible within minutes of the demo's start, then
repeats every 20 minutes so that a demo joined late still sees it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from types import MappingProxyType

from garrison.clock import Clock
from garrison.demo.lab.errors import UnknownTargetError
from garrison.demo.lab.faults import FaultWindow
from garrison.demo.lab.http_site import HttpSite
from garrison.demo.lab.lab import DemoLab
from garrison.demo.lab.site_pages import SitePage
from garrison.demo.lab.targets import FaultKind
from garrison.demo.lab.tcp_service import TcpService

EVENT_PORTAL = "event-portal"
PRESS_CENTRE = "press-centre"
LINK_PRIMARY = "link-primary"
LINK_BACKUP = "link-backup"
CORE_SWITCH = "core-switch-mgmt"

DEFAULT_LAB_PORTS: Mapping[str, int] = MappingProxyType(
    {
        EVENT_PORTAL: 18080,
        PRESS_CENTRE: 18081,
        LINK_PRIMARY: 18022,
        LINK_BACKUP: 18023,
        CORE_SWITCH: 18010,
    }
)

_CYCLE = timedelta(minutes=20)

DEFAULT_SCHEDULE: tuple[FaultWindow, ...] = (
    FaultWindow(LINK_PRIMARY, FaultKind.DOWN, timedelta(minutes=2), timedelta(minutes=3), _CYCLE),
    FaultWindow(PRESS_CENTRE, FaultKind.ERROR, timedelta(minutes=6), timedelta(minutes=2), _CYCLE),
    FaultWindow(EVENT_PORTAL, FaultKind.SLOW, timedelta(minutes=10), timedelta(minutes=1), _CYCLE),
    FaultWindow(CORE_SWITCH, FaultKind.HANG, timedelta(minutes=14), timedelta(minutes=2), _CYCLE),
)

EVENT_PORTAL_PAGE = SitePage(
    title="Cổng thông tin Đại hội — Congress Portal",
    heading_vi="Chào mừng đại biểu",
    heading_en="Welcome, delegates",
    paragraphs_vi=(
        "Cổng thông tin chính thức của Đại hội: chương trình làm việc, tin tức và thông báo.",
        "Phiên khai mạc bắt đầu lúc 08:00 tại Hội trường chính.",
    ),
    paragraphs_en=(
        "The official portal of the Congress: programme, news and announcements.",
        "The opening session starts at 08:00 in the main hall.",
    ),
    accent_colour="#b71c1c",
)

PRESS_CENTRE_PAGE = SitePage(
    title="Trung tâm Báo chí — Press Centre",
    heading_vi="Thông tin dành cho phóng viên",
    heading_en="Information for journalists",
    paragraphs_vi=(
        "Trung tâm Báo chí mở cửa 24/24 trong suốt thời gian diễn ra Đại hội.",
        "Thông cáo báo chí được đăng tại đây sau mỗi phiên họp.",
    ),
    paragraphs_en=(
        "The Press Centre is open around the clock for the whole Congress.",
        "Press releases are published here after every session.",
    ),
    accent_colour="#0d47a1",
)


def default_lab(
    clock: Clock,
    *,
    ports: Mapping[str, int] | None = None,
    slow_delay: float = 3.0,
    schedule: Iterable[FaultWindow] = DEFAULT_SCHEDULE,
) -> DemoLab:
    """The demo event's lab; ``ports`` overrides the port of any target by name (0: any free)."""
    chosen = dict(DEFAULT_LAB_PORTS)
    for name, port in (ports or {}).items():
        if name not in chosen:
            raise UnknownTargetError(f"the demo lab has no target {name!r}")
        chosen[name] = port
    targets = (
        HttpSite(
            name=EVENT_PORTAL,
            port=chosen[EVENT_PORTAL],
            page=EVENT_PORTAL_PAGE,
            slow_delay=slow_delay,
        ),
        HttpSite(
            name=PRESS_CENTRE,
            port=chosen[PRESS_CENTRE],
            page=PRESS_CENTRE_PAGE,
            slow_delay=slow_delay,
        ),
        TcpService(name=LINK_PRIMARY, port=chosen[LINK_PRIMARY]),
        TcpService(name=LINK_BACKUP, port=chosen[LINK_BACKUP]),
        TcpService(name=CORE_SWITCH, port=chosen[CORE_SWITCH]),
    )
    return DemoLab(targets, clock=clock, schedule=schedule)
