"""Checks of the `checks`, `maintenance` and `probes` sections against each other.

- ``probes.down_quorum``: at least 1, and no more locations than the service's
  checks run from (k of n needs n ≥ k); the service must have checks.
- A weekly maintenance window needs at least one day, and different start and
  end times (equal times would be either nothing or a whole day: say which).

Each problem is a field path and a translated message; ``find_inconsistencies``
turns them into file:line errors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from garrison.config.models import EventConfig
from garrison.config.positions import Loc
from garrison.i18n import gettext as _

ProbeProblem = tuple[Loc, str]
_Quote = Callable[[Loc, str], str]


def probe_problems(config: EventConfig, quote: _Quote) -> Iterator[ProbeProblem]:
    """Every problem of the probe sections, as (field path, message)."""
    yield from _quorum_problems(config)
    yield from _recurrence_problems(config)


def _quorum_problems(config: EventConfig) -> Iterator[ProbeProblem]:
    locations: dict[str, set[str]] = {}
    for check in config.checks:
        if check.service is not None:
            locations.setdefault(check.service, set()).update(check.locations)
    for service_id, wanted in config.probes.down_quorum.items():
        loc: Loc = ("probes", "down_quorum", service_id)
        available = len(locations.get(service_id, ()))
        if wanted < 1:
            yield loc, _("the quorum must be at least 1")
        elif available == 0:
            yield loc, _("no check watches this service, so no location can see it down")
        elif wanted > available:
            yield (
                loc,
                _(
                    "{wanted} locations must see it down, but its checks run from only {count}"
                ).format(wanted=wanted, count=available),
            )


def _recurrence_problems(config: EventConfig) -> Iterator[ProbeProblem]:
    for index, window in enumerate(config.maintenance):
        recurrence = window.recurrence
        if recurrence is None:
            continue
        loc: Loc = ("maintenance", index, "recurrence")
        if not recurrence.days:
            yield (*loc, "days"), _("name at least one day")
        if recurrence.start_time == recurrence.end_time:
            yield (*loc, "end_time"), _("end_time must differ from start_time")
