"""Coverage of the operation window: gaps (a post with nobody on duty) and double bookings
(a person on duty at two posts at once). Pure functions of a duty plan."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from garrison.duty.oncall import OnDuty, stretches
from garrison.duty.plan import DutyPlan, PlanProblem


@dataclass(frozen=True, slots=True)
class Gap:
    post: str
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class DoubleBooking:
    person: str
    first_post: str
    second_post: str
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class CoverageReport:
    start: datetime
    end: datetime
    gaps: tuple[Gap, ...]
    double_bookings: tuple[DoubleBooking, ...]
    problems: tuple[PlanProblem, ...]

    @property
    def covered(self) -> bool:
        """Every post staffed throughout (double bookings are reported, not counted here)."""
        return not self.gaps


def check_coverage(
    plan: DutyPlan, *, start: datetime | None = None, end: datetime | None = None
) -> CoverageReport:
    """Gaps and double bookings over ``[start, end)``, by default the operation window."""
    low = plan.window_start if start is None else start
    high = plan.window_end if end is None else end
    by_post = {post: stretches(plan, post, low, high) for post in sorted(plan.posts)}
    gaps = [gap for post, held in by_post.items() for gap in _gaps(post, held, low, high)]
    everyone = [stretch for held in by_post.values() for stretch in held]
    return CoverageReport(
        start=low,
        end=high,
        gaps=tuple(gaps),
        double_bookings=tuple(find_double_bookings(everyone)),
        problems=plan.problems,
    )


def _gaps(post: str, held: list[OnDuty], low: datetime, high: datetime) -> list[Gap]:
    found: list[Gap] = []
    cursor = low
    for stretch in held:
        if stretch.start > cursor:
            found.append(Gap(post, cursor, stretch.start))
        cursor = max(cursor, stretch.end)
    if cursor < high:
        found.append(Gap(post, cursor, high))
    return found


def find_double_bookings(held: list[OnDuty]) -> list[DoubleBooking]:
    """Overlaps between stretches of one person at different posts, in time order."""
    found: list[DoubleBooking] = []
    by_person: dict[str, list[OnDuty]] = {}
    for stretch in held:
        by_person.setdefault(stretch.person, []).append(stretch)
    for person in sorted(by_person):
        ordered = sorted(by_person[person], key=lambda s: (s.start, s.post))
        active: list[OnDuty] = []
        for stretch in ordered:
            active = [other for other in active if other.end > stretch.start]
            for other in active:
                if other.post != stretch.post:
                    found.append(
                        DoubleBooking(
                            person=person,
                            first_post=other.post,
                            second_post=stretch.post,
                            start=stretch.start,
                            end=min(other.end, stretch.end),
                        )
                    )
            active.append(stretch)
    return sorted(found, key=lambda booking: (booking.start, booking.person))
