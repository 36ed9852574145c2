"""The daily reports the report worker stored in ``<data_dir>/reports/`` (``daily-YYYYMMDD.html``
and ``.pdf``): listed by day, and found by name without ever leaving that folder."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from garrison.errors import NotFoundError
from garrison.i18n import gettext as _
from garrison.reports.worker import REPORT_FOLDER

DAILY_FILE = re.compile(r"daily-(\d{8})\.(html|pdf)")
MAX_LISTED = 400


@dataclass(frozen=True, slots=True)
class StoredDaily:
    day: date
    formats: tuple[str, ...]  # "html", "pdf"; what is on disk

    def name(self, file_format: str) -> str:
        return f"daily-{self.day:%Y%m%d}.{file_format}"


def _day(digits: str) -> date | None:
    try:
        return datetime.strptime(digits, "%Y%m%d").date()  # noqa: DTZ007 - a calendar day
    except ValueError:
        return None


def stored_daily_reports(data_dir: Path) -> list[StoredDaily]:
    """The stored daily reports, newest day first."""
    folder = data_dir / REPORT_FOLDER
    if not folder.is_dir():
        return []
    found: dict[date, set[str]] = {}
    for path in folder.iterdir():
        match = DAILY_FILE.fullmatch(path.name)
        day = _day(match.group(1)) if match else None
        if match is None or day is None or not path.is_file():
            continue
        found.setdefault(day, set()).add(match.group(2))
    days = sorted(found, reverse=True)[:MAX_LISTED]
    return [StoredDaily(day, tuple(sorted(found[day]))) for day in days]


def stored_daily_file(data_dir: Path, name: str) -> Path:
    """The stored file called ``name``; NotFoundError for any other name or a missing file."""
    match = DAILY_FILE.fullmatch(name)
    path = data_dir / REPORT_FOLDER / name
    if match is None or _day(match.group(1)) is None or not path.is_file():
        raise NotFoundError(_("There is no stored report %(name)s.") % {"name": name[:80]})
    return path
