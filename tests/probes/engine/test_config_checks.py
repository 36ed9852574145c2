"""Cross-checks of the probe sections: quorum against locations, weekly windows."""

from __future__ import annotations

from typing import Any

from garrison.config import find_inconsistencies
from garrison.config.positions import format_path
from tests.probes.engine.factories import http_check, make_config, service


def problems(**sections: Any) -> dict[str, str]:
    event = make_config(services=[service("portal"), service("dns")], **sections)
    return {format_path(found.loc): found.message for found in find_inconsistencies(event)}


def test_a_quorum_larger_than_the_locations_is_refused() -> None:
    found = problems(
        checks=[http_check("portal-http", service="portal")],
        probes={"down_quorum": {"portal": 2}},
    )
    assert found == {
        "probes.down_quorum.portal": "2 locations must see it down, but its checks run from only 1"
    }


def test_a_quorum_within_the_locations_is_accepted() -> None:
    checks = [http_check("portal-http", service="portal", locations=["local", "hanoi"])]
    assert problems(checks=checks, probes={"down_quorum": {"portal": 2}}) == {}


def test_a_quorum_needs_checks_and_a_positive_number() -> None:
    found = problems(
        checks=[http_check("portal-http", service="portal")],
        probes={"down_quorum": {"portal": 0, "dns": 1}},
    )
    assert found["probes.down_quorum.portal"] == "the quorum must be at least 1"
    assert "no check watches this service" in found["probes.down_quorum.dns"]


def test_weekly_windows_need_days_and_distinct_times() -> None:
    found = problems(
        maintenance=[
            {
                "id": "empty",
                "services": ["portal"],
                "recurrence": {"days": [], "start_time": "01:00", "end_time": "02:00"},
            },
            {
                "id": "zero",
                "services": ["portal"],
                "recurrence": {"start_time": "01:00", "end_time": "01:00"},
            },
        ]
    )
    assert found == {
        "maintenance[0].recurrence.days": "name at least one day",
        "maintenance[1].recurrence.end_time": "end_time must differ from start_time",
    }
