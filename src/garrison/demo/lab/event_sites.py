"""What the demo event's web sites serve: their pages, and the few machine-read resources."""

from __future__ import annotations

import json
from collections.abc import Mapping
from http import HTTPStatus
from types import MappingProxyType

from garrison.demo.lab.http_wire import Response
from garrison.demo.lab.site_pages import SitePage

VIDEO_BRIDGE_HEALTH_PATH = "/health"
STREAM_PLAYLIST_PATH = "/live/index.m3u8"

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

INTRANET_PAGE = SitePage(
    title="Mạng nội bộ đại biểu — Delegates' Intranet",
    heading_vi="Tài liệu phiên họp",
    heading_en="Session documents",
    paragraphs_vi=("Tài liệu của từng phiên họp được cập nhật trước 07:00 mỗi ngày.",),
    paragraphs_en=("The documents of each session are updated before 07:00 every day.",),
    accent_colour="#2e7d32",
)

WEBMAIL_PAGE = SitePage(
    title="Thư điện tử — Webmail",
    heading_vi="Đăng nhập hộp thư",
    heading_en="Sign in to your mailbox",
    paragraphs_vi=("Hộp thư công vụ của Ban tổ chức Đại hội.",),
    paragraphs_en=("The official mailboxes of the Congress organisers.",),
    accent_colour="#6a1b9a",
)

VIDEO_BRIDGE_PAGE = SitePage(
    title="Cầu truyền hình lãnh đạo — Leaders' Video Bridge",
    heading_vi="Phòng họp trực tuyến",
    heading_en="Video conference room",
    paragraphs_vi=("Cầu truyền hình nối Hội trường chính với các điểm cầu.",),
    paragraphs_en=("The video bridge linking the main hall with the remote rooms.",),
    accent_colour="#37474f",
)

PRESS_STREAM_PAGE = SitePage(
    title="Truyền hình trực tiếp — Live Stream",
    heading_vi="Truyền hình trực tiếp phiên họp",
    heading_en="Live stream of the sessions",
    paragraphs_vi=("Tín hiệu trực tiếp cho Trung tâm Báo chí.",),
    paragraphs_en=("The live feed for the Press Centre.",),
    accent_colour="#e65100",
)

_PLAYLIST = """#EXTM3U
#EXT-X-VERSION:3
#EXT-X-TARGETDURATION:6
#EXT-X-MEDIA-SEQUENCE:1024
#EXTINF:6.0,
segment-1024.ts
#EXTINF:6.0,
segment-1025.ts
#EXTINF:6.0,
segment-1026.ts
"""


def video_bridge_resources() -> Mapping[str, Response]:
    health = {"status": "ok", "room": "leaders", "endpoints_connected": 12, "mcu": "lab"}
    return MappingProxyType(
        {
            VIDEO_BRIDGE_HEALTH_PATH: Response(
                status=HTTPStatus.OK,
                content_type="application/json",
                body=json.dumps(health).encode("utf-8"),
            )
        }
    )


def press_stream_resources() -> Mapping[str, Response]:
    return MappingProxyType(
        {
            STREAM_PLAYLIST_PATH: Response(
                status=HTTPStatus.OK,
                content_type="application/vnd.apple.mpegurl",
                body=_PLAYLIST.encode("ascii"),
            )
        }
    )
