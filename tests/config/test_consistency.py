"""Checks across sections: ids, references, dependencies, redundancy, times."""

from __future__ import annotations

import pytest

from garrison.config import (
    ConfigValidationError,
    Inconsistency,
    Site,
    find_inconsistencies,
    load_config,
)

from .conftest import LoadErrors, WriteFile

EVENT = """event:
  id: demo
  name: Demo
  timezone: Asia/Ho_Chi_Minh
  start: 2026-10-12T07:00:00
  end: 2026-10-18T22:00:00
"""  # 6 lines: sections added by the tests start on line 7


def _service(service_id: str, extra: str = "") -> str:
    return (
        f"  - {{id: {service_id}, name: {service_id}, kind: link, criticality: high, "
        f"unit: ops{extra}}}\n"
    )


UNITS = "organisation:\n  units: [{id: ops, name: Operations}]\n"  # lines 7-8


def test_duplicate_id(write: WriteFile, load_errors: LoadErrors) -> None:
    path = write("event.yaml", EVENT + UNITS + "services:\n" + _service("web") + _service("web"))
    [issue] = load_errors(path).issues
    assert (issue.file, issue.line, issue.path) == (path, 11, "services[1].id")
    assert issue.message == "duplicate id 'web': services[0] already uses it"


def test_duplicate_username(write: WriteFile, load_errors: LoadErrors) -> None:
    path = write(
        "event.yaml",
        EVENT
        + UNITS
        + """  people:
    - {id: an, name: An, unit: ops, role: leader, username: an}
    - {id: an2, name: An, unit: ops, role: engineer, username: an}
""",
    )
    [issue] = load_errors(path).issues
    assert (issue.line, issue.path) == (11, "organisation.people[1].username")


def test_dangling_references(write: WriteFile, load_errors: LoadErrors) -> None:
    path = write(
        "event.yaml",
        EVENT
        + """organisation:
  units: [{id: ops, name: Operations, leader: nobody}]
  people: [{id: an, name: An, unit: nowhere, role: leader}]
  posts: [{id: noc, name: NOC, unit: ops, site: moon}]
services:
  - id: web
    name: Web
    kind: website
    criticality: high
    unit: ops
    site: mars
    depends_on: [dns]
""",
    )
    issues = load_errors(path).issues
    assert [(issue.line, issue.path, issue.message) for issue in issues] == [
        (8, "organisation.units[0].leader", "no person has the id 'nobody'"),
        (9, "organisation.people[0].unit", "no unit has the id 'nowhere'"),
        (10, "organisation.posts[0].site", "no site has the id 'moon'"),
        (17, "services[0].site", "no site has the id 'mars'"),
        (18, "services[0].depends_on[0]", "no service has the id 'dns'"),
    ]


def test_detection_source_service_must_exist(write: WriteFile, load_errors: LoadErrors) -> None:
    path = write(
        "event.yaml",
        EVENT
        + UNITS
        + "services:\n"
        + _service("web")
        + """detection:
  sources:
    - {name: web-logs, type: http, service: web}
    - {name: gw-syslog, type: syslog_udp, port: 5514, service: vpn}
""",
    )
    [issue] = load_errors(path).issues
    assert (issue.line, issue.path, issue.message) == (
        14,
        "detection.sources[1].service",
        "no service has the id 'vpn'",
    )


def test_self_dependency_and_repeated_dependency(write: WriteFile, load_errors: LoadErrors) -> None:
    path = write(
        "event.yaml",
        EVENT
        + UNITS
        + "services:\n"
        + _service("a", ", depends_on: [a]")
        + _service("b", ", depends_on: [a, a]"),
    )
    issues = load_errors(path).issues
    assert [(issue.line, issue.path, issue.message) for issue in issues] == [
        (10, "services[0].depends_on[0]", "a service cannot depend on itself"),
        (11, "services[1].depends_on[1]", "'a' is listed twice"),
    ]


def test_dependency_cycle(write: WriteFile, load_errors: LoadErrors) -> None:
    path = write(
        "event.yaml",
        EVENT
        + UNITS
        + "services:\n"
        + _service("a", ", depends_on: [b]")
        + _service("b", ", depends_on: [c]")
        + _service("c", ", depends_on: [a]")
        + _service("d", ", depends_on: [a]"),
    )
    [issue] = load_errors(path).issues
    assert (issue.line, issue.path) == (12, "services[2].depends_on[0]")
    assert issue.message == "dependency cycle: 'a' → 'b' → 'c' → 'a'"


def test_redundancy_group_without_primary(write: WriteFile, load_errors: LoadErrors) -> None:
    path = write(
        "event.yaml",
        EVENT
        + UNITS
        + "services:\n"
        + _service("a", ", redundancy: {group: uplink, role: backup}")
        + _service("b", ", redundancy: {group: uplink, role: backup}")
        + _service("c", ", redundancy: {group: dns, role: primary}"),
    )
    [issue] = load_errors(path).issues
    assert (issue.line, issue.path) == (10, "services[0].redundancy.group")
    assert issue.message == "redundancy group 'uplink' has no primary service"


def test_event_end_before_start(write: WriteFile, load_errors: LoadErrors) -> None:
    path = write(
        "event.yaml",
        EVENT.replace("end: 2026-10-18T22:00:00", "end: 2026-10-12T07:00:00"),
    )
    [issue] = load_errors(path).issues
    assert (issue.line, issue.path) == (6, "event.end")
    assert issue.message == "the event must end after it starts"


def test_phase_problems(write: WriteFile, load_errors: LoadErrors) -> None:
    path = write(
        "event.yaml",
        EVENT
        + """  phases:
    - {id: preparation, start: 2026-10-01T00:00:00, end: 2026-10-01T00:00:00}
    - {id: review, start: 2026-10-19T00:00:00, end: 2026-10-30T00:00:00}
    - {id: operation, start: 2026-10-12T07:00:00, end: 2026-10-18T22:00:00}
    - {id: review, start: 2026-10-18T20:00:00, end: 2026-10-31T00:00:00}
""",
    )
    issues = load_errors(path).issues
    assert [(issue.line, issue.path) for issue in issues] == [
        (8, "event.phases[0].end"),
        (10, "event.phases[2].id"),
        (11, "event.phases[3].id"),
        (11, "event.phases[3].start"),
    ]
    messages = [issue.message for issue in issues]
    assert messages[0] == "the phase must end after it starts"
    assert messages[1] == "phases must be listed in the order preparation, operation, review"
    assert messages[2] == "duplicate id 'review': event.phases[1] already uses it"
    assert messages[3] == "the phase starts before the previous phase (operation) ends"


def test_issue_in_an_included_list_points_at_the_included_file(
    write: WriteFile, load_errors: LoadErrors
) -> None:
    people = write(
        "people/people.yaml",
        """
        organisation:
          people:
            - {id: an, name: An, unit: ops, role: leader}
            - {id: binh, name: Binh, unit: missing, role: analyst}
        """,
    )
    root = write(
        "event.yaml",
        "include: [people/people.yaml]\n"
        + EVENT
        + UNITS
        + "  people:\n    - {id: chi, name: Chi, unit: gone, role: observer}\n",
    )
    issues = load_errors(root).issues
    assert [(issue.file, issue.line, issue.path) for issue in issues] == [
        (root, 11, "organisation.people[2].unit"),
        (people, 4, "organisation.people[1].unit"),
    ]


def test_values_from_the_environment_are_not_shown(
    write: WriteFile, load_errors: LoadErrors
) -> None:
    units = 'organisation:\n  units: [{id: ops, name: O, leader: "${LEADER}"}]\n'
    path = write("event.yaml", EVENT + units)
    with pytest.raises(ConfigValidationError) as caught:
        load_config(path, environ={"LEADER": "s3cret-leader"})
    assert "s3cret" not in str(caught.value)
    [issue] = caught.value.issues
    assert (issue.line, issue.path) == (8, "organisation.units[0].leader")
    assert issue.message == "no person has the id (a value from the environment)"


def test_find_inconsistencies_works_on_any_model(write: WriteFile) -> None:
    path = write("event.yaml", EVENT + UNITS)
    config = load_config(path, environ={}).config
    assert find_inconsistencies(config) == []
    sites = (Site(id="hall", name="Hall"), Site(id="hall", name="Other hall"))
    broken = config.model_copy(update={"sites": sites})
    assert find_inconsistencies(broken) == [
        Inconsistency(("sites", 1, "id"), "duplicate id 'hall': sites[0] already uses it")
    ]
