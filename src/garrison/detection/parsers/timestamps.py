"""Timestamps at the start of log lines, in the many shapes daemons write them.

Times without a zone are read in the source's zone; times without a year get the year
that puts them closest before the arrival time (a log line is not from the future).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}
_MON = r"(?P<mon>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_DAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
_HMS = r"(?P<h>\d{1,2}):(?P<mi>\d{2}):(?P<s>\d{2})(?:[.,](?P<frac>\d{1,9}))?"
_ZONE = r"(?P<zone>Z|[+-]\d{2}:?\d{2})?"
# TAI64N labels are seconds since 1970 offset by 2**62 (plus 10 leap seconds at 1970).
_TAI64_OFFSET = 2**62 + 10


@dataclass(frozen=True, slots=True)
class FoundTime:
    moment: datetime | None
    end: int  # where the text after the timestamp (and its separator) starts


_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.IGNORECASE))
    for name, pattern in (
        ("tai64n", r"@(?P<tai>4000[0-9a-f]{12})[0-9a-f]{8}\s+"),
        (
            "iso",
            r"(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})[T ]" + _HMS + r"\s?" + _ZONE + r"\s+",
        ),
        ("slashed", r"(?P<y>\d{4})/(?P<mo>\d{2})/(?P<d>\d{2}) " + _HMS + r"\s+"),
        (
            "bracketed_ctime",
            r"\[" + _DAY + r" " + _MON + r" +(?P<d>\d{1,2}) " + _HMS + r" (?P<y>\d{4})\]\s*",
        ),
        (
            "bracketed_iso",
            r"\[(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2}) " + _HMS + r"\]\s*",
        ),
        ("bracketed_bsd", r"\[" + _MON + r" +(?P<d>\d{1,2}) " + _HMS + r"\]\s*"),
        ("ctime", _DAY + r" " + _MON + r" +(?P<d>\d{1,2}) " + _HMS + r" (?P<y>\d{4})\s+"),
        ("bsd", _MON + r" +(?P<d>\d{1,2}) " + _HMS + r"\s+"),
        ("month_day", r"(?P<mo>\d{2})-(?P<d>\d{2}) " + _HMS + r"\s+"),
    )
)


_BSD = dict(_PATTERNS)["bsd"]
# Only the "bsd" shape starts with a month's name (the others start with "@", a digit, "["
# or a day's name), so a line starting with one can try it first: syslog's usual case.
_MONTH_STARTS = frozenset(
    variant for name in MONTHS for variant in (name, name.title(), name.upper())
)
_BSD_CACHE_SIZE = 64


class _BsdTimes:
    """RFC 3164 times already built: lines of one second share theirs."""

    def __init__(self) -> None:
        self._known: dict[tuple[str, tzinfo, int], datetime | None] = {}
        # The local year of the last arrival time seen (lines of a burst share theirs).
        self._last_year: tuple[datetime, tzinfo, int] | None = None

    def moment(
        self, match: re.Match[str], *, received_at: datetime, zone: tzinfo
    ) -> datetime | None:
        last = self._last_year
        if last is not None and last[0] is received_at and last[1] is zone:
            year = last[2]
        else:
            year = _year_of(received_at, zone)
            self._last_year = (received_at, zone, year)
        key = (match.group(0), zone, year)
        try:
            local = self._known[key]
        except KeyError:
            local = _build(match, received_at=None, zone=zone, year=year)
            if len(self._known) >= _BSD_CACHE_SIZE:
                self._known.clear()
            self._known[key] = local
        if local is None or local <= received_at + timedelta(days=1):
            return local
        # Not from the future: the year before (as _build decides without the cache).
        return _build(match, received_at=None, zone=zone, year=year - 1)


_BSD_TIMES = _BsdTimes()


def find_leading_time(text: str, *, received_at: datetime, zone: tzinfo) -> FoundTime | None:
    """The timestamp the text starts with, if any, and where the rest begins."""
    if text[:3] in _MONTH_STARTS:
        match = _BSD.match(text)
        if match is not None:
            return FoundTime(
                _BSD_TIMES.moment(match, received_at=received_at, zone=zone), match.end()
            )
    for name, pattern in _PATTERNS:
        match = pattern.match(text)
        if match is None:
            continue
        if name == "tai64n":
            seconds = int(match.group("tai"), 16) - _TAI64_OFFSET
            try:
                moment: datetime | None = datetime.fromtimestamp(seconds, UTC)
            except (OverflowError, OSError, ValueError):
                moment = None
            return FoundTime(moment, match.end())
        return FoundTime(_build(match, received_at=received_at, zone=zone), match.end())
    return None


def _build(
    match: re.Match[str],
    *,
    received_at: datetime | None,
    zone: tzinfo,
    year: int | None = None,
) -> datetime | None:
    parts = match.groupdict()
    month = MONTHS[parts["mon"].lower()] if parts.get("mon") else int(parts["mo"])
    frac = (parts.get("frac") or "0")[:6].ljust(6, "0")
    if not parts.get("y") and received_at is None and year is None:
        return None
    try:
        # The wall-clock fields; the right zone replaces this placeholder below.
        moment = datetime(
            int(parts["y"]) if parts.get("y") else year or _year_of(received_at, zone),
            month,
            int(parts["d"]),
            int(parts["h"]),
            int(parts["mi"]),
            int(parts["s"]),
            int(frac),
            tzinfo=UTC,
        )
    except ValueError:
        return None
    offset = parts.get("zone")
    if offset:
        return _with_offset(moment, offset)
    local = moment.replace(tzinfo=zone).astimezone(UTC)
    if received_at is not None and not parts.get("y") and local > received_at + timedelta(days=1):
        try:
            local = moment.replace(year=moment.year - 1, tzinfo=zone).astimezone(UTC)
        except ValueError:  # 29 February
            return None
    return local


def _year_of(received_at: datetime | None, zone: tzinfo) -> int:
    assert received_at is not None
    return received_at.astimezone(zone).year


def _with_offset(moment: datetime, offset: str) -> datetime:
    if offset.upper() == "Z":
        return moment
    sign = -1 if offset[0] == "-" else 1
    digits = offset[1:].replace(":", "")
    delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:4]))
    return moment - sign * delta


def parse_iso(text: str) -> datetime | None:
    """An ISO 8601 / RFC 3339 time; a value without offset is taken as UTC."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


_CLF = re.compile(
    r"(?P<d>\d{1,2})/" + _MON + r"/(?P<y>\d{4}):" + _HMS + r"(?: (?P<zone>[+-]\d{4}))?",
    re.IGNORECASE,
)


def parse_clf(text: str, *, zone: tzinfo = UTC) -> datetime | None:
    """The Common Log Format time: ``10/Oct/2000:13:55:36 -0700``."""
    match = _CLF.fullmatch(text)
    if match is None:
        return None
    return _build(match, received_at=None, zone=zone)
